build/filter/main.o: filter/main.c core/config.h core/conf.h core/cidr.h \
 core/err.h core/log.h core/dkimsign.h core/keytable.h core/addr.h \
 core/log.h filter/milter.h filter/sigwait.h
core/config.h:
core/conf.h:
core/cidr.h:
core/err.h:
core/log.h:
core/dkimsign.h:
core/keytable.h:
core/addr.h:
core/log.h:
filter/milter.h:
filter/sigwait.h:
