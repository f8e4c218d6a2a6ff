//! The local time zone's offset from UTC, for tcpdump's default `HH:MM:SS` time stamps.
//! (`shared-decode` has no clock or time-zone database; the CLI asks the C library.)

/// Seconds east of UTC at time `t` (seconds since the epoch), per the C library's
/// `localtime_r` (honours `TZ`). 0 if the conversion fails.
pub fn utc_offset(t: i64) -> i64 {
    let tt: libc::time_t = t as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which we own; both pointers are valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::localtime_r(&tt, &mut tm) };
    if r.is_null() {
        0
    } else {
        tm.tm_gmtoff as i64
    }
}
