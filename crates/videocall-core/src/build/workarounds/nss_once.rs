//! libsrtp 2.5 as Debian builds it does its AES through NSS, and opens an NSS context for every
//! cipher it makes (`NSS_InitContext` … `NSS_ShutdownContext`). While NSS is not initialised for
//! the process, each of those loads and self-tests NSS's softoken and shuts it down again, about
//! 3 ms each: the SRTP plugin's own cipher self-tests at load cost an encrypted call ~45 ms of
//! start-up, every `srtpenc`/`srtpdec` session a few more. With NSS initialised once for the
//! process (no database, as libsrtp itself asks), the contexts only count references: the plugin
//! loads in ~11 ms, and the 5 ms of `NSS_NoDB_Init` run on the thread that checks the suite,
//! beside the rest of the start-up (outside GStreamer's plugin-loading lock).
//!
//! A libsrtp built on OpenSSL or its own AES does not need this: when `libnss3.so` cannot be
//! opened nothing happens.

use std::sync::Once;

/// Initialises NSS for the process, once, if the library is there.
pub fn initialise() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: dlopen/dlsym with NUL-terminated names; NSS_NoDB_Init has the C signature
        // `SECStatus NSS_NoDB_Init(const char *configdir)` and accepts NULL. The handle is kept
        // open for the life of the process (libsrtp uses the same library).
        unsafe {
            let lib = libc::dlopen(c"libnss3.so".as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL);
            if lib.is_null() {
                return;
            }
            let symbol = libc::dlsym(lib, c"NSS_NoDB_Init".as_ptr());
            if symbol.is_null() {
                return;
            }
            let init: extern "C" fn(*const libc::c_char) -> libc::c_int =
                std::mem::transmute(symbol);
            if init(std::ptr::null()) != 0 {
                tracing::debug!("NSS_NoDB_Init failed; libsrtp initialises NSS itself");
            }
        }
    });
}
