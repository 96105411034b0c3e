build/core/keytable.o: core/keytable.c core/keytable.h core/addr.h \
 core/err.h core/str.h core/xalloc.h
core/keytable.h:
core/addr.h:
core/err.h:
core/str.h:
core/xalloc.h:
