// SQLite (Debian's libsqlite3-dev, 3.40). SQLITE_TRANSIENT is a macro that casts -1 to a function pointer, which
// Swift cannot import: the helper below returns it so bindings can ask SQLite to copy the bytes.
#include <sqlite3.h>

static inline sqlite3_destructor_type lockstep_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
