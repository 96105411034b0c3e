build/core/addr.o: core/addr.c core/addr.h core/err.h core/str.h
core/addr.h:
core/err.h:
core/str.h:
