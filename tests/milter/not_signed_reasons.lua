-- not_signed_reasons.lua - trusted client, messages that must not be
-- signed: EOH is answered with accept, nothing is inserted at EOM.
-- One connection per case.
dofile(LIB)

local function hdrs(froms)
	local h = {}
	for _, f in ipairs(froms) do
		h[#h + 1] = {"From", " " .. f}
	end
	h[#h + 1] = {"To", " rcpt@example.net"}
	h[#h + 1] = {"Subject", " not to be signed"}
	return h
end

local cases = {
	{qid = "NOSIG001", what = "no From", froms = {}},
	{qid = "NOSIG002", what = "two From", froms = {"A <a@example.com>",
	    "B <b@example.com>"}},
	{qid = "NOSIG003", what = "no key for other.example",
	    froms = {"Other <user@other.example>"}},
	{qid = "NOSIG004", what = "malformed From",
	    froms = {"Bad <<user@example.com>>"}},
	{qid = "NOSIG005", what = "unterminated <> in From",
	    froms = {"Bad <user@example.com"}},
	{qid = "NOSIG006", what = "two addresses in one From",
	    froms = {"a@example.com, b@example.com"}},
}
for _, c in ipairs(cases) do
	local conn = open_conn("127.0.0.1", "localhost")
	send_msg(conn, {label = c.what, qid = c.qid, headers = hdrs(c.froms),
	    want_eoh = SMFIR_ACCEPT})
	-- the filter said accept at EOH: it must not have inserted anything
	check(#signatures(conn) == 0, c.what .. ": no signature")
	mt.disconnect(conn)
end
done()
