-- author_fields.lua - the author fields an attacker writes, through the
-- milter protocol.  A SASL login (user@example.com, owning only itself)
-- with an empty mailbox beside a forged one, before it, as a bare source
-- route, or a forged Resent-From / an unreadable RESENT-SENDER (any case):
-- each refused with a reply code at the end of the header.  An empty group
-- names nobody: accepted (unsigned).  An outside client (no login) with our
-- domain hidden in a From the strict reader cannot read, or in an
-- encoded-word Sender: refused at the end of the header; an unreadable
-- From without our domain passes.
dofile(LIB)

local function from(v)
	return std_headers(v)
end

local function with(extra, v, f)
	local h = std_headers(f or "User <user@example.com>")
	h[#h + 1] = {extra, " " .. v}
	return h
end

local sasl = {
	{"AUTH1", from("x@other.example, <>")},
	{"AUTH2", from("<>, x@other.example")},
	{"AUTH3", from("x@other.example, <@route.example:>")},
	{"AUTH4", with("Resent-From", "x@other.example")},
	{"AUTH5", with("RESENT-SENDER", "<x@other.example")},
	{"AUTH6", from("x@other.example:;")},
}
local conn = open_conn("192.0.2.7", "mx.example.net")
for _, m in ipairs(sasl) do
	send_msg(conn, {label = m[1], qid = m[1], login = "user@example.com",
	    headers = m[2], want_eoh = SMFIR_REPLYCODE})
end
send_msg(conn, {label = "AUTH7", qid = "AUTH7", login = "user@example.com",
    headers = from("undisclosed-recipients:;"), want_eoh = SMFIR_ACCEPT})
mt.disconnect(conn)

local outside = {
	{"OUT1", from("ceo@example.com, <>")},
	{"OUT2", from("<ceo@example.com>>")},
	{"OUT3", from("ceo@example.com (x")},
	{"OUT4", from("ceo@example.com, \"")},
	{"OUT5", with("Sender", "=?utf-8?q?ceo=40example.com?=",
	    "x@other.example")},
}
conn = open_conn("192.0.2.7", "mx.example.net")
for _, m in ipairs(outside) do
	send_msg(conn, {label = m[1], qid = m[1],
	    sender = "<x@other.example>", headers = m[2],
	    want_eoh = SMFIR_REPLYCODE})
end
send_msg(conn, {label = "OUT6", qid = "OUT6", sender = "<x@other.example>",
    headers = from("x@other.example, <>"), want_eoh = SMFIR_ACCEPT})
mt.disconnect(conn)
done()
