// Runs the spec's Node.js verifier (spec-verify.js, copied unchanged from 70-developer.md) behind a
// minimal stand-in for Express: `app.post(path, handler)`, `req.body` parsed with JSON.parse as
// express.json() does, `res.status(n).json(obj)`. The only edit is the secret literal, replaced with
// the endpoint's secret, as a developer would. Each request is recorded (with the status the
// verifier answered) as a JSON file for the test to read.
// Usage: node node-harness.js PORT DIR SECRET
const http = require("http");
const fs = require("fs");
const path = require("path");
const [port, dir, secret] = process.argv.slice(2);
const source = fs.readFileSync(path.join(__dirname, "spec-verify.js"), "utf8").replace('"opsiq_whsec_xxx"', JSON.stringify(secret));
const routes = {};
const app = { post: (p, handler) => { routes[p] = handler; } };
const quiet = { log: () => {} };
new Function("require", "app", "console", source)(require, app, quiet);
let n = 0;
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    const seq = ++n;
    const record = (status) => {
      const rec = { method: req.method, path: req.url, headers: Object.entries(req.headers), body: raw.toString("base64"), answered: status };
      const file = path.join(dir, String(seq).padStart(6, "0"));
      fs.writeFileSync(file + ".tmp", JSON.stringify(rec));
      fs.renameSync(file + ".tmp", file + ".json");
    };
    const handler = routes[req.url.split("?")[0]];
    let code = 200;
    const shim = {
      status(c) { code = c; return shim; },
      json(obj) { record(code); res.writeHead(code, { "Content-Type": "application/json" }); res.end(JSON.stringify(obj)); },
    };
    try {
      if (!handler || req.method !== "POST") { code = 404; return shim.json({ error: "not found" }); }
      handler({ body: JSON.parse(raw.toString("utf8")), headers: req.headers }, shim);
    } catch (e) {
      code = 500;
      shim.json({ error: String(e) });
    }
  });
}).listen(Number(port), "127.0.0.1", () => process.stdout.write("READY\n"));
