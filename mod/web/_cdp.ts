/**
 * A minimal Chrome DevTools Protocol client for the browser test: starts headless Chromium,
 * opens one page over its WebSocket, sends commands and collects events. Deno has `WebSocket`
 * built in, so no driver package is needed. Private to the tests.
 *
 * @module
 */

/** Path of a Chromium binary (`MGC_CHROMIUM` or the usual places), or null. */
export function findChromium(): string | null {
  const env = Deno.env.get("MGC_CHROMIUM");
  for (
    const p of [
      env,
      "/usr/bin/chromium",
      "/usr/bin/chromium-browser",
      "/usr/bin/google-chrome",
      "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    ]
  ) {
    if (!p) continue;
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* next */ }
  }
  return null;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** One page of a headless Chromium, driven over the DevTools protocol. */
export class Browser {
  #child: Deno.ChildProcess;
  #ws: WebSocket;
  #profile: string;
  #next = 1;
  #waiting = new Map<number, (m: CdpMessage) => void>();
  /** Every `method` event received, in order. */
  readonly events: CdpMessage[] = [];

  private constructor(child: Deno.ChildProcess, ws: WebSocket, profile: string) {
    this.#child = child;
    this.#ws = ws;
    this.#profile = profile;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data as string) as CdpMessage;
      if (m.id !== undefined) this.#waiting.get(m.id)?.(m);
      else this.events.push(m);
    };
  }

  /** Starts Chromium headless with a fresh profile and opens a blank page. */
  static async launch(chromium: string, size = { width: 1000, height: 1100 }): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "mgc_chromium_" });
    const child = new Deno.Command(chromium, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        `--window-size=${size.width},${size.height}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let port = 0;
    const deadline = Date.now() + 30_000;
    while (!port && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const m = text.match(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) port = Number(m[1]);
    }
    // Keep draining stderr so Chromium never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })().catch(() => {});
    if (!port) {
      child.kill();
      throw new Error(`chromium did not start:\n${text.slice(0, 2000)}`);
    }
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const page = targets.find((t) => t.type === "page");
    if (!page) throw new Error("chromium: no page target");
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("chromium: DevTools WebSocket failed"));
    });
    return new Browser(child, ws, profile);
  }

  /** Sends a command and returns its result (an error result throws). */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (m) => {
        this.#waiting.delete(id);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result ?? {});
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Evaluates `expression` in the page and returns its value (awaiting promises). */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    const ex = r.exceptionDetails as { text?: string; exception?: { description?: string } };
    if (ex) throw new Error(`page: ${ex.exception?.description ?? ex.text}`);
    return (r.result as { value: T }).value;
  }

  /** Polls `expression` until it is truthy; returns its value. */
  async waitFor<T>(expression: string, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await this.eval<T>(expression);
      if (v) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${expression}`);
  }

  /** Puts `path` into the file input matched by `selector` (fires its change event). */
  async setFile(selector: string, path: string): Promise<void> {
    const { root } = await this.send("DOM.getDocument") as { root: { nodeId: number } };
    const { nodeId } = await this.send("DOM.querySelector", { nodeId: root.nodeId, selector }) as {
      nodeId: number;
    };
    await this.send("DOM.setFileInputFiles", { nodeId, files: [path] });
  }

  /** Closes the page and the browser and removes the profile. */
  async close(): Promise<void> {
    try {
      this.#ws.close();
    } catch { /* closed */ }
    try {
      this.#child.kill();
    } catch { /* exited */ }
    await this.#child.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}
