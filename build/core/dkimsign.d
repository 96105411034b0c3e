build/core/dkimsign.o: core/dkimsign.c core/dkimsign.h core/conf.h \
 core/cidr.h core/err.h core/log.h core/keytable.h core/addr.h core/str.h \
 core/xalloc.h
core/dkimsign.h:
core/conf.h:
core/cidr.h:
core/err.h:
core/log.h:
core/keytable.h:
core/addr.h:
core/str.h:
core/xalloc.h:
