//! Shared error vocabulary for dissection: which protocol layer, where in the frame, what.

use std::fmt;
use thiserror::Error;

/// A protocol layer, as named in errors and in [`crate::dissect::LayerItem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Layer {
    Frame,
    Ethernet,
    Llc,
    Vlan,
    Sll,
    Sll2,
    Null,
    Nflog,
    Arp,
    Ipv4,
    Ipv6,
    Icmp,
    Icmpv6,
    Igmp,
    Tcp,
    Udp,
    Gre,
    Vxlan,
    Geneve,
    LispData,
    Teredo,
    Pppoe,
    Ppp,
    Mpls,
    Ah,
    Esp,
    Dns,
    Http,
    Tls,
    Data,
    /// A protocol declared as a table row ([`crate::dissect::app`]): one file and one line in
    /// [`crate::dissect::registry::APPS`], no variant here.
    App(AppId),
}

/// Identity of a table-declared protocol: its filter name and its row in
/// [`crate::dissect::registry::APPS`] (a unit test checks the two agree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId {
    /// Row in the registry (also the protocol's bit in the viewer's per-packet layer set).
    pub slot: u8,
    /// Wireshark's protocol filter name (`ssh`, `ntp`, ...).
    pub name: &'static str,
}

impl Layer {
    /// Number of built-in layer kinds (table-declared protocols come after them).
    pub const COUNT: usize = 30;
    /// Every built-in layer kind (see [`Layer::App`] for the others).
    pub const ALL: [Layer; Layer::COUNT] = [
        Layer::Frame,
        Layer::Ethernet,
        Layer::Llc,
        Layer::Vlan,
        Layer::Sll,
        Layer::Sll2,
        Layer::Null,
        Layer::Nflog,
        Layer::Arp,
        Layer::Ipv4,
        Layer::Ipv6,
        Layer::Icmp,
        Layer::Icmpv6,
        Layer::Igmp,
        Layer::Tcp,
        Layer::Udp,
        Layer::Gre,
        Layer::Vxlan,
        Layer::Geneve,
        Layer::LispData,
        Layer::Teredo,
        Layer::Pppoe,
        Layer::Ppp,
        Layer::Mpls,
        Layer::Ah,
        Layer::Esp,
        Layer::Dns,
        Layer::Http,
        Layer::Tls,
        Layer::Data,
    ];

    /// Dense index: built-in layers in [`Layer::ALL`] order, then table-declared protocols by
    /// registry row (the viewer keeps one bit per index and packet; at most 64).
    pub fn index(self) -> usize {
        match self {
            Layer::Frame => 0,
            Layer::Ethernet => 1,
            Layer::Llc => 2,
            Layer::Vlan => 3,
            Layer::Sll => 4,
            Layer::Sll2 => 5,
            Layer::Null => 6,
            Layer::Nflog => 7,
            Layer::Arp => 8,
            Layer::Ipv4 => 9,
            Layer::Ipv6 => 10,
            Layer::Icmp => 11,
            Layer::Icmpv6 => 12,
            Layer::Igmp => 13,
            Layer::Tcp => 14,
            Layer::Udp => 15,
            Layer::Gre => 16,
            Layer::Vxlan => 17,
            Layer::Geneve => 18,
            Layer::LispData => 19,
            Layer::Teredo => 20,
            Layer::Pppoe => 21,
            Layer::Ppp => 22,
            Layer::Mpls => 23,
            Layer::Ah => 24,
            Layer::Esp => 25,
            Layer::Dns => 26,
            Layer::Http => 27,
            Layer::Tls => 28,
            Layer::Data => 29,
            Layer::App(id) => Layer::COUNT + usize::from(id.slot),
        }
    }

    /// Wireshark's protocol filter name (`eth`, `ip`, `tcp`, ...).
    pub fn filter_name(self) -> &'static str {
        match self {
            Layer::Frame => "frame",
            Layer::Ethernet => "eth",
            Layer::Llc => "llc",
            Layer::Vlan => "vlan",
            Layer::Sll | Layer::Sll2 => "sll",
            Layer::Null => "null",
            Layer::Nflog => "nflog",
            Layer::Arp => "arp",
            Layer::Ipv4 => "ip",
            Layer::Ipv6 => "ipv6",
            Layer::Icmp => "icmp",
            Layer::Icmpv6 => "icmpv6",
            Layer::Igmp => "igmp",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Gre => "gre",
            Layer::Vxlan => "vxlan",
            Layer::Geneve => "geneve",
            Layer::LispData => "lisp-data",
            Layer::Teredo => "teredo",
            Layer::Pppoe => "pppoes",
            Layer::Ppp => "ppp",
            Layer::Mpls => "mpls",
            Layer::Ah => "ah",
            Layer::Esp => "esp",
            Layer::Dns => "dns",
            Layer::Http => "http",
            Layer::Tls => "tls",
            Layer::Data => "data",
            Layer::App(id) => id.name,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.filter_name())
    }
}

/// A decoding problem in one layer of one packet. Decoding keeps every layer read before it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{layer}: {kind} at frame offset {offset}")]
pub struct DecodeError {
    /// The layer being decoded.
    pub layer: Layer,
    /// Offset from the start of the frame.
    pub offset: usize,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

/// What went wrong while decoding a layer.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    /// Fewer bytes were captured than the header needs.
    #[error("truncated: needed {needed} bytes, {available} captured")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A length field is impossible.
    #[error("bad {field} {value}")]
    BadLength {
        /// Field name.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// A field has a value that cannot be right.
    #[error("bad {field} {value}")]
    BadValue {
        /// Field name.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// Too many nested layers (tunnels within tunnels).
    #[error("more than {0} layers")]
    TooDeep(usize),
}

impl DecodeError {
    /// A truncation error.
    pub fn truncated(layer: Layer, offset: usize, needed: usize, available: usize) -> Self {
        DecodeError {
            layer,
            offset,
            kind: DecodeErrorKind::Truncated { needed, available },
        }
    }
}
