-- untrusted_client.lua - client 192.0.2.7, no SASL login: the filter
-- accepts at MAIL (nothing more for this message), and nothing is signed.
-- A second message on the same connection gets the same answer.
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
send_msg(conn, {label = "untrusted 1", qid = "UNTR0001",
    sender = "<bob@example.com>", headers = std_headers(),
    want_mail = SMFIR_ACCEPT})
send_msg(conn, {label = "untrusted 2", qid = "UNTR0002",
    sender = "<bob@example.com>", headers = std_headers(),
    want_mail = SMFIR_ACCEPT})
mt.disconnect(conn)
done()
