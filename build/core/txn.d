build/core/txn.o: core/txn.c core/txn.h core/addr.h core/err.h
core/txn.h:
core/addr.h:
core/err.h:
