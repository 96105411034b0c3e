build/core/engine.o: core/engine.c core/engine.h core/config.h \
 core/conf.h core/cidr.h core/err.h core/log.h core/dkimsign.h \
 core/keytable.h core/addr.h core/txn.h core/str.h
core/engine.h:
core/config.h:
core/conf.h:
core/cidr.h:
core/err.h:
core/log.h:
core/dkimsign.h:
core/keytable.h:
core/addr.h:
core/txn.h:
core/str.h:
