-- untrusted_client.lua - client 192.0.2.7, no SASL login.  A foreign
-- sender passes MAIL (the header From is still to be checked against our
-- domains) and is accepted at the end of the header, unsigned.  One of our
-- domains (example.com, named by the SigningTable) is refused: at MAIL in
-- the envelope, at the end of the header in From.
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
send_msg(conn, {label = "untrusted 1", qid = "UNTR0001",
    sender = "<bob@example.net>", headers = std_headers("Bob <bob@example.net>"),
    want_mail = SMFIR_CONTINUE, want_eoh = SMFIR_ACCEPT})
send_msg(conn, {label = "untrusted 2", qid = "UNTR0002",
    sender = "<bob@example.com>", headers = std_headers(),
    want_mail = SMFIR_REPLYCODE})
send_msg(conn, {label = "untrusted 3", qid = "UNTR0003",
    sender = "<bob@example.net>", headers = std_headers("Boss <ceo@example.com>"),
    want_mail = SMFIR_CONTINUE, want_eoh = SMFIR_REPLYCODE})
mt.disconnect(conn)
done()
