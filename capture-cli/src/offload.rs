//! The interface's offload settings, recorded in the capture file: with TSO/GSO (sending)
//! or GRO/LRO (receiving) on, libpcap hands the capture super-segments of up to 64 KB that
//! the wire never carried, cut differently at each end of a path. `paircap compare`
//! accounts for TCP in bytes, so they compare right; its diagnosis names the settings.
//!
//! Read with the legacy ethtool ioctls (`SIOCETHTOOL` with `ETHTOOL_GTSO`, `ETHTOOL_GGSO`,
//! `ETHTOOL_GGRO`, `ETHTOOL_GFLAGS`/`ETH_FLAG_LRO`), which every Linux kernel still answers
//! (the kernel maps them onto its feature bits) and which need no string tables, unlike
//! `ETHTOOL_GFEATURES`. Elsewhere, or for an interface that does not answer, nothing is
//! recorded.

/// The comment prefix `shared_decode` looks for.
pub use shared_decode::file::OFFLOADS_COMMENT;

#[cfg(target_os = "linux")]
mod linux {
    const SIOCETHTOOL: libc::c_ulong = 0x8946;
    const ETHTOOL_GTSO: u32 = 0x1e;
    const ETHTOOL_GGSO: u32 = 0x23;
    const ETHTOOL_GFLAGS: u32 = 0x25;
    const ETHTOOL_GGRO: u32 = 0x2b;
    const ETH_FLAG_LRO: u32 = 1 << 15;

    #[repr(C)]
    struct EthtoolValue {
        cmd: u32,
        data: u32,
    }

    #[repr(C)]
    struct IfReq {
        name: [libc::c_char; libc::IFNAMSIZ],
        data: *mut libc::c_void,
        _pad: [u8; 16],
    }

    /// One ethtool "get value" command on an interface.
    fn get(fd: libc::c_int, iface: &str, cmd: u32) -> Option<u32> {
        let bytes = iface.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ {
            return None;
        }
        let mut v = EthtoolValue { cmd, data: 0 };
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            data: (&mut v as *mut EthtoolValue).cast(),
            _pad: [0; 16],
        };
        for (d, s) in req.name.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        // SAFETY: `req` is a valid ifreq whose data points at `v`, both alive for the call;
        // the kernel writes at most `size_of::<EthtoolValue>()` bytes through it.
        let r = unsafe { libc::ioctl(fd, SIOCETHTOOL as _, &mut req as *mut IfReq) };
        (r == 0).then_some(v.data)
    }

    pub fn settings(iface: &str) -> Option<String> {
        // SAFETY: plain socket creation; the descriptor is closed below.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
        if fd < 0 {
            return None;
        }
        let on = |x: Option<u32>| match x {
            Some(0) => "off",
            Some(_) => "on",
            None => "?",
        };
        let tso = get(fd, iface, ETHTOOL_GTSO);
        let gso = get(fd, iface, ETHTOOL_GGSO);
        let gro = get(fd, iface, ETHTOOL_GGRO);
        let lro = get(fd, iface, ETHTOOL_GFLAGS).map(|f| f & ETH_FLAG_LRO);
        // SAFETY: `fd` is the socket opened above.
        unsafe { libc::close(fd) };
        if tso.is_none() && gso.is_none() && gro.is_none() {
            return None;
        }
        Some(format!(
            "tso {}, gso {}, gro {}, lro {}",
            on(tso),
            on(gso),
            on(gro),
            on(lro)
        ))
    }
}

/// The interface comments to record for a capture on `iface` ("any": every interface).
pub fn comments(iface: &str) -> Vec<String> {
    #[cfg(target_os = "linux")]
    {
        let names: Vec<String> = if iface == "any" {
            let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n != "lo")
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        } else {
            vec![iface.to_string()]
        };
        names
            .iter()
            .filter_map(|n| {
                let s = linux::settings(n)?;
                Some(if iface == "any" {
                    format!("{OFFLOADS_COMMENT} {n}: {s}")
                } else {
                    format!("{OFFLOADS_COMMENT} {s}")
                })
            })
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = iface;
        Vec::new()
    }
}
