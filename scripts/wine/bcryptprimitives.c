/* Stand-in for bcryptprimitives.dll under Wine 8 (Debian 12), which lacks it.
 * Rust's standard library (1.78 and later) imports ProcessPrng from it for random
 * hash-map keys, so no Rust program starts without it. Wine 9 ships the DLL;
 * scripts/check-windows.sh installs this one only into its own prefix
 * (target/wine), and only when Wine has none. Never shipped.
 * Draws from RtlGenRandom (advapi32's SystemFunction036), which Wine implements. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
