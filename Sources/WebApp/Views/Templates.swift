/// Mustache templates, compiled into the binary so a deployment is one file. `{{x}}` escapes HTML;
/// triple braces are never used for user data.
enum Templates {
    static let layout = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{$title}}OpsIQ{{/title}}</title>
    <link rel="stylesheet" href="/assets/opsiq.css">
    {{$head}}{{/head}}
    <script src="/assets/opsiq.js" defer></script>
    </head>
    <body>
    <header>Ops<span>IQ</span></header>
    <main>
    {{$content}}{{/content}}
    </main>
    </body>
    </html>
    """

    static let setup = """
    {{<layout}}
    {{$title}}Set up OpsIQ{{/title}}
    {{$content}}
    <div class="card">
    <h1>Welcome to OpsIQ</h1>
    <p class="lead">Create the Owner account and your first site. The Owner has every permission, including the license and the danger zone; you can invite your team afterwards.</p>
    {{#formError}}<div class="banner bad" role="alert" id="form-error">{{formError}}</div>{{/formError}}
    <form method="post" action="/setup" novalidate>
    <label for="token">Setup token</label>
    <input type="text" id="token" name="token" value="{{token}}" autocomplete="off" required>
    <div class="hint">Printed in the server log when OpsIQ starts (or run <code>opsiq-admin setup-token</code>).</div>
    {{#errors.token}}<div class="err" id="err-token">{{errors.token}}</div>{{/errors.token}}
    <h2>Owner account</h2>
    <label for="name">Your name</label>
    <input type="text" id="name" name="name" value="{{name}}" autocomplete="name" required>
    {{#errors.name}}<div class="err" id="err-name">{{errors.name}}</div>{{/errors.name}}
    <label for="email">Email</label>
    <input type="email" id="email" name="email" value="{{email}}" autocomplete="email" required>
    {{#errors.email}}<div class="err" id="err-email">{{errors.email}}</div>{{/errors.email}}
    <label for="password">Password</label>
    <input type="password" id="password" name="password" autocomplete="new-password" minlength="12" required>
    <div class="hint">At least 12 characters.</div>
    {{#errors.password}}<div class="err" id="err-password">{{errors.password}}</div>{{/errors.password}}
    <h2>First site</h2>
    <label for="site_name">Site name</label>
    <input type="text" id="site_name" name="site_name" value="{{siteName}}" required>
    {{#errors.site_name}}<div class="err" id="err-site_name">{{errors.site_name}}</div>{{/errors.site_name}}
    <label for="domain">Domain</label>
    <input type="text" id="domain" name="domain" value="{{domain}}" placeholder="shop.example.com" required>
    {{#errors.domain}}<div class="err" id="err-domain">{{errors.domain}}</div>{{/errors.domain}}
    <button type="submit" id="create">Create Owner and site</button>
    </form>
    </div>
    {{/content}}
    {{/layout}}
    """

    static let setupDone = """
    {{<layout}}
    {{$title}}OpsIQ is ready{{/title}}
    {{$content}}
    <div class="card">
    <div class="banner ok" id="setup-done">Setup complete. The Owner account for {{email}} and the site {{siteName}} were created.</div>
    <h1>Install the tracking snippet</h1>
    <p class="lead">Paste this before <code>&lt;/body&gt;</code> on every page of {{domain}}.</p>
    <pre id="snippet">{{snippet}}</pre>
    <h2>Your site</h2>
    <dl>
    <dt>Site key</dt><dd id="site-key">{{siteKey}}</dd>
    <dt>Domain</dt><dd>{{domain}}</dd>
    </dl>
    <p class="hint">The site secret (for identity tokens and webhook signatures) is stored encrypted and is shown on request on the Sites page.</p>
    <p><a href="/login" id="sign-in-link">Sign in to the admin</a></p>
    </div>
    {{/content}}
    {{/layout}}
    """
}
