/** Basic information about the running desktop app, as returned by the `app_info` command. */
export interface AppInfo {
  name: string;
  version: string;
  provider: string;
}
