<?php
// Router script for `php -S`: runs the spec's PHP verifier (spec-verify.php, copied unchanged from
// 70-developer.md) for every request. The only edit is the secret literal, replaced with the
// endpoint's secret (VERIFIER_SECRET), as a developer would. Each request is recorded, with the
// status the verifier answered, as a JSON file in VERIFIER_DIR for the test to read.
$dir = getenv("VERIFIER_DIR");
$secret = getenv("VERIFIER_SECRET");
$source = file_get_contents(__DIR__ . "/spec-verify.php");
$source = str_replace('"opsiq_whsec_your_secret"', var_export($secret, true), $source);
$source = preg_replace('/^<\?php\s*/', '', $source);
$raw = file_get_contents("php://input");
$headers = [];
foreach (getallheaders() as $k => $v) { $headers[] = [$k, $v]; }
register_shutdown_function(function () use ($dir, $raw, $headers) {
    $rec = ["method" => $_SERVER["REQUEST_METHOD"], "path" => $_SERVER["REQUEST_URI"], "headers" => $headers,
            "body" => base64_encode($raw), "answered" => http_response_code()];
    $file = $dir . "/" . sprintf("%020d", hrtime(true)) . "-" . getmypid();
    file_put_contents($file . ".tmp", json_encode($rec));
    rename($file . ".tmp", $file . ".json");
});
eval($source);
