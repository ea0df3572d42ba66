/// HTML mail kept as sanitised HTML beside its text (issue 6): `body_html` holds what `HTMLSanitizer`
/// made of an email's HTML part, with `cid:` images pointing at the stored inline attachments.
let migration0021MessageHTML = Migration(version: 21, name: "ticket_message_html") { d in
    ["ALTER TABLE ticket_messages ADD COLUMN body_html \(d.text) NULL"]
}
