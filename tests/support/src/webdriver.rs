//! Drives the real desktop app through `tauri-driver` and WebKitWebDriver.
//!
//! A deliberately small W3C WebDriver client (classic protocol over HTTP):
//! enough to start the app binary, find elements, click, type, read text and
//! take screenshots. `tauri-driver` must run under an X server (`xvfb-run`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use serde_json::{Value, json};

use crate::{free_port, wait_for_port};

/// The W3C key for element references in responses.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running `tauri-driver`; killed on drop.
#[derive(Debug)]
pub struct TauriDriver {
    port: u16,
    child: Child,
}

impl TauriDriver {
    /// Starts `tauri-driver` on free ports, with `env` added to the app's environment.
    pub fn start(env: &[(String, String)]) -> anyhow::Result<TauriDriver> {
        let program = crate::find_program("tauri-driver")
            .or_else(|| {
                let home = std::env::var_os("HOME")?;
                let p = PathBuf::from(home).join(".cargo/bin/tauri-driver");
                p.is_file().then_some(p)
            })
            .context("tauri-driver not found: `cargo install tauri-driver --locked`")?;
        let port = free_port();
        let native_port = free_port();
        let child = Command::new(program)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start tauri-driver")?;
        wait_for_port(port, Duration::from_secs(20))?;
        Ok(TauriDriver { port, child })
    }

    /// Opens a session on the app at `application`, retrying once (the
    /// driver may answer before WebKitWebDriver listens).
    pub fn session(&self, application: &Path) -> anyhow::Result<Session> {
        let base = format!("http://127.0.0.1:{}", self.port);
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": application.display().to_string() }
                }
            }
        });
        let mut last = None;
        for _ in 0..2 {
            match post(&format!("{base}/session"), &capabilities) {
                Ok(value) => {
                    let id = value["sessionId"]
                        .as_str()
                        .context("the driver returned no sessionId")?
                        .to_owned();
                    return Ok(Session {
                        base: format!("{base}/session/{id}"),
                    });
                }
                Err(e) => {
                    last = Some(e);
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no session")))
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver session: the app's window.
#[derive(Debug)]
pub struct Session {
    base: String,
}

/// A reference to an element in the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Finds the first element matching a CSS selector, waiting up to `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> anyhow::Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = post(
                &format!("{}/element", self.base),
                &json!({"using": "css selector", "value": css}),
            );
            match found {
                Ok(value) => {
                    let id = value[ELEMENT_KEY]
                        .as_str()
                        .context("no element reference")?;
                    return Ok(Element(id.to_owned()));
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(e.context(format!("no element matched {css:?} within {timeout:?}")));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Waits until the element matching `css` has text containing `needle`.
    pub fn wait_for_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.wait_for(css, Duration::from_millis(200)) {
                last = self.text(&element).unwrap_or_default();
                if last.contains(needle) {
                    return Ok(last);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("{css:?} never contained {needle:?} within {timeout:?}; last text: {last:?}")
    }

    /// The rendered text of an element.
    pub fn text(&self, element: &Element) -> anyhow::Result<String> {
        let value = get(&format!("{}/element/{}/text", self.base, element.0))?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks an element.
    pub fn click(&self, element: &Element) -> anyhow::Result<()> {
        post(
            &format!("{}/element/{}/click", self.base, element.0),
            &json!({}),
        )?;
        Ok(())
    }

    /// Waits for the element matching `css` and clicks it.
    pub fn click_on(&self, css: &str, timeout: Duration) -> anyhow::Result<()> {
        let element = self.wait_for(css, timeout)?;
        self.click(&element)
    }

    /// Empties an input.
    pub fn clear(&self, element: &Element) -> anyhow::Result<()> {
        post(
            &format!("{}/element/{}/clear", self.base, element.0),
            &json!({}),
        )?;
        Ok(())
    }

    /// Replaces the value of the input matching `css` with `text`.
    pub fn fill(&self, css: &str, text: &str, timeout: Duration) -> anyhow::Result<()> {
        let element = self.wait_for(css, timeout)?;
        self.clear(&element)?;
        self.type_text(&element, text)
    }

    /// Whether the element is enabled (not `disabled`).
    pub fn is_enabled(&self, element: &Element) -> anyhow::Result<bool> {
        let value = get(&format!("{}/element/{}/enabled", self.base, element.0))?;
        Ok(value.as_bool().unwrap_or(false))
    }

    /// An attribute of an element, if set.
    pub fn attribute(&self, element: &Element, name: &str) -> anyhow::Result<Option<String>> {
        let value = get(&format!(
            "{}/element/{}/attribute/{name}",
            self.base, element.0
        ))?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Waits until the element matching `css` is enabled (`true`) or disabled.
    pub fn wait_enabled(&self, css: &str, enabled: bool, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(element) = self.wait_for(css, Duration::from_millis(200))
                && self.is_enabled(&element).unwrap_or(!enabled) == enabled
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "{css:?} was never {} within {timeout:?}",
            if enabled { "enabled" } else { "disabled" }
        )
    }

    /// Types `text` into an element.
    pub fn type_text(&self, element: &Element, text: &str) -> anyhow::Result<()> {
        post(
            &format!("{}/element/{}/value", self.base, element.0),
            &json!({"text": text}),
        )?;
        Ok(())
    }

    /// Runs a script in the page and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        post(
            &format!("{}/execute/sync", self.base),
            &json!({"script": script, "args": args}),
        )
    }

    /// Resizes the window (WebDriver "Set Window Rect"); returns the
    /// viewport it then has, as the page sees it (`innerWidth`, `innerHeight`).
    pub fn set_window_size(&self, width: u32, height: u32) -> anyhow::Result<(u32, u32)> {
        post(
            &format!("{}/window/rect", self.base),
            &json!({"width": width, "height": height}),
        )?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let size =
                self.execute("return [window.innerWidth, window.innerHeight];", json!([]))?;
            let w = size[0].as_u64().unwrap_or(0) as u32;
            let h = size[1].as_u64().unwrap_or(0) as u32;
            if (w.abs_diff(width) <= 40 && h.abs_diff(height) <= 80) || Instant::now() > deadline {
                return Ok((w, h));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's current HTML.
    pub fn source(&self) -> anyhow::Result<String> {
        Ok(get(&format!("{}/source", self.base))?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Saves a screenshot and the page source under `dir` as `name.png` /
    /// `name.html`, for a human to see why a step failed.
    pub fn capture(&self, dir: &Path, name: &str) {
        let _ = self.screenshot(&dir.join(format!("{name}.png")));
        if let Ok(html) = self.source() {
            let _ = std::fs::write(dir.join(format!("{name}.html")), html);
        }
    }

    /// Saves a PNG screenshot of the window to `path`.
    pub fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let value = get(&format!("{}/screenshot", self.base))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().context("screenshot is not a string")?)?;
        std::fs::write(path, png)?;
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = ureq::delete(&self.base).call();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into()
}

fn unwrap_value(status: u16, body: Value) -> anyhow::Result<Value> {
    if (200..300).contains(&status) {
        Ok(body["value"].clone())
    } else {
        bail!("WebDriver error {status}: {}", body["value"])
    }
}

fn post(url: &str, body: &Value) -> anyhow::Result<Value> {
    let mut response = agent().post(url).send_json(body)?;
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json()?;
    unwrap_value(status, body)
}

fn get(url: &str) -> anyhow::Result<Value> {
    let mut response = agent().get(url).call()?;
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json()?;
    unwrap_value(status, body)
}
