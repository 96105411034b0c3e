build/filter/milter.o: filter/milter.c filter/milter.h core/config.h \
 core/conf.h core/cidr.h core/err.h core/log.h core/dkimsign.h \
 core/keytable.h core/addr.h core/dkimsign.h core/engine.h core/config.h \
 core/txn.h core/log.h core/str.h core/strbuf.h core/txn.h core/xalloc.h
filter/milter.h:
core/config.h:
core/conf.h:
core/cidr.h:
core/err.h:
core/log.h:
core/dkimsign.h:
core/keytable.h:
core/addr.h:
core/dkimsign.h:
core/engine.h:
core/config.h:
core/txn.h:
core/log.h:
core/str.h:
core/strbuf.h:
core/txn.h:
core/xalloc.h:
