-- sign_rsa_ed25519.lua - a trusted client (127.0.0.1, no login) sends one
-- message: two DKIM-Signature fields inserted at index 0, one RSA-SHA256
-- and one Ed25519-SHA256, d=example.com, From oversigned, body hash right.
-- Globals from -D: SOCK, LIB, BH (relaxed body hash), MSG (file to write).
dofile(LIB)

local conn = open_conn("127.0.0.1", "localhost")
local headers = std_headers()
local body = "hello world\r\n"
send_msg(conn, {label = "trusted", qid = "SIGN0001", headers = headers,
    body = body})
local sigs = signatures(conn)
check(#sigs == 2, "two DKIM-Signature fields inserted (got " .. #sigs .. ")")
local seen = {}
for i, sig in ipairs(sigs) do
	local a = tags(sig).a
	seen[a or "?"] = true
	if a == "rsa-sha256" then
		check_sig(conn, sig, "signature " .. i, {a = "rsa-sha256",
		    d = "example.com", s = "rsa", bh = BH,
		    h = {"to", "subject", "date", "message-id"}})
	else
		check_sig(conn, sig, "signature " .. i, {a = "ed25519-sha256",
		    d = "example.com", s = "ed", bh = BH,
		    h = {"to", "subject", "date", "message-id"}})
	end
end
check(seen["rsa-sha256"] and seen["ed25519-sha256"],
    "one RSA and one Ed25519 signature")
check(not mt.eom_check(conn, MT_HDRADD, "DKIM-Signature"),
    "no DKIM-Signature appended (only inserted)")
save_message(MSG, sigs, headers, body)
mt.disconnect(conn)
done()
