const crypto = require("crypto");
app.post("/opsiq-webhook", (req, res) => {
const payload = JSON.stringify(req.body);
const sig = req.headers["x-opsiq-signature"];
const expected = crypto.createHmac("sha256", "opsiq_whsec_xxx")
.update(payload).digest("hex");
if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(sig || "")))
return res.status(401).json({ error: "Invalid signature" });
console.log("Webhook:", req.body);
res.json({ received: true });
});
