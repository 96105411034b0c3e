-- sasl_login_outside.lua - client 192.0.2.7 outside internal_hosts but
-- SASL-authenticated ({auth_authen} at MAIL) as the address it sends as:
-- signed with both keys.  Another login using that sender is refused at
-- MAIL (553).  Then the same connection, next message without a login:
-- not trusted (the login is per message, it must not stick to the
-- connection; the MTA's MAIL macros of that message replace the first
-- one's), so our domain in MAIL FROM is refused as a spoof, and a
-- foreign sender passes unsigned.
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
send_msg(conn, {label = "login", qid = "SASL0001",
    login = "user@example.com", headers = std_headers()})
local sigs = signatures(conn)
check(#sigs == 2, "two DKIM-Signature fields (got " .. #sigs .. ")")
for i, sig in ipairs(sigs) do
	local t = tags(sig)
	check(t.d == "example.com" and (t.a == "rsa-sha256" or
	    t.a == "ed25519-sha256"), "signature " .. i .. ": d=" ..
	    tostring(t.d) .. " a=" .. tostring(t.a))
end
send_msg(conn, {label = "other login", qid = "SASL0003",
    login = "alice@example.com", headers = std_headers(),
    want_mail = SMFIR_REPLYCODE})
send_msg(conn, {label = "no login", qid = "SASL0002",
    sender = "<nologin" .. QSFX .. "@example.com>",
    headers = std_headers(), want_mail = SMFIR_REPLYCODE})
send_msg(conn, {label = "no login, outside sender", qid = "SASL0004",
    sender = "<x" .. QSFX .. "@example.net>",
    headers = std_headers("X <x" .. QSFX .. "@example.net>"),
    want_eoh = SMFIR_ACCEPT})
mt.disconnect(conn)
done()
