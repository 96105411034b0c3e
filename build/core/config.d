build/core/config.o: core/config.c core/config.h core/conf.h core/cidr.h \
 core/err.h core/log.h core/dkimsign.h core/keytable.h core/addr.h \
 core/xalloc.h
core/config.h:
core/conf.h:
core/cidr.h:
core/err.h:
core/log.h:
core/dkimsign.h:
core/keytable.h:
core/addr.h:
core/xalloc.h:
