//! SSH (RFC 4253): the version banner and the binary packets sent in clear before the keys
//! are taken into use — KEXINIT with its algorithm lists, the (EC)DH exchange, NEWKEYS.
//! Packets after that are encrypted and shown as such (as tshark does without keys).
//!
//! Stateless: a packet is in clear when its header is plausible for an unencrypted packet
//! (length ≤ 35000, total a multiple of 8, padding ≥ 4, a transport-layer message code).
//! Under ETM and AEAD ciphers the length is in clear but the packet is a multiple of the
//! cipher block *without* the length word, so the multiple-of-8 test fails for them, and a
//! chacha20-poly1305 length is random. Messages in one segment are walked in order; a
//! message that continues in the next segment is not reassembled (its fields are not shown).

#![deny(clippy::indexing_slicing)]

use super::app::{
    side_by_port, AnonPolicy, App, AppProtocol, ColumnText, Handoff, Side, TcpdumpText,
};
use super::{Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};

/// The row.
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 0,
        name: "ssh",
    },
    def: &SSH,
    fields: FIELDS,
    also_emits: &[],
    handoffs: &[Handoff::TcpPort(22), Handoff::TcpHeuristic],
    dissect,
    emit,
    columns,
    tcpdump: Some(tcpdump),
    anon: AnonPolicy::AppData,
    ports: None,
};

/// `aux`: a banner.
const BANNER: u32 = u32::MAX;
/// Largest packet in clear accepted (RFC 4253 §6.1 asks implementations to handle 35000).
const MAX_PACKET: usize = 35000;
/// Messages walked per segment (each is at least 16 bytes, so a 64 KiB segment has fewer).
const MAX_MESSAGES: usize = 4096;

/// `ssh`.
pub static SSH: FieldDef = FieldDef::proto("ssh", "SSH Protocol");
/// `ssh.protocol`.
pub static PROTOCOL_FIELD: FieldDef =
    FieldDef::new("ssh.protocol", "Protocol", FieldType::Str, Base::None);
/// `ssh.direction`.
pub static DIRECTION: FieldDef =
    FieldDef::new("ssh.direction", "Direction", FieldType::Bool, Base::None);
/// `ssh.packet_length`.
pub static PACKET_LENGTH: FieldDef = FieldDef::new(
    "ssh.packet_length",
    "Packet Length",
    FieldType::UInt(32),
    Base::Dec,
);
/// `ssh.padding_length`.
pub static PADDING_LENGTH: FieldDef = FieldDef::new(
    "ssh.padding_length",
    "Padding Length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ssh.message_code`.
pub static MESSAGE_CODE: FieldDef = FieldDef::new(
    "ssh.message_code",
    "Message Code",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ssh.cookie`.
pub static COOKIE: FieldDef = FieldDef::new("ssh.cookie", "Cookie", FieldType::Bytes, Base::None);
/// `ssh.first_kex_packet_follows`.
pub static FIRST_KEX_FOLLOWS: FieldDef = FieldDef::new(
    "ssh.first_kex_packet_follows",
    "First KEX Packet Follows",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ssh.kex.reserved`.
pub static KEX_RESERVED: FieldDef =
    FieldDef::new("ssh.kex.reserved", "Reserved", FieldType::Bytes, Base::None);
/// `ssh.padding_string`.
pub static PADDING_STRING: FieldDef = FieldDef::new(
    "ssh.padding_string",
    "Padding String",
    FieldType::Bytes,
    Base::None,
);
/// `ssh.ecdh.q_c_length`.
pub static Q_C_LENGTH: FieldDef = FieldDef::new(
    "ssh.ecdh.q_c_length",
    "ECDH client's ephemeral public key length",
    FieldType::UInt(32),
    Base::Dec,
);
/// `ssh.ecdh.q_c`.
pub static Q_C: FieldDef = FieldDef::new(
    "ssh.ecdh.q_c",
    "ECDH client's ephemeral public key (Q_C)",
    FieldType::Bytes,
    Base::None,
);
/// `ssh.ecdh.q_s_length`.
pub static Q_S_LENGTH: FieldDef = FieldDef::new(
    "ssh.ecdh.q_s_length",
    "ECDH server's ephemeral public key length",
    FieldType::UInt(32),
    Base::Dec,
);
/// `ssh.ecdh.q_s`.
pub static Q_S: FieldDef = FieldDef::new(
    "ssh.ecdh.q_s",
    "ECDH server's ephemeral public key (Q_S)",
    FieldType::Bytes,
    Base::None,
);
/// `ssh.host_key.length`.
pub static HOST_KEY_LENGTH: FieldDef = FieldDef::new(
    "ssh.host_key.length",
    "Host key length",
    FieldType::UInt(32),
    Base::Dec,
);
/// `ssh.host_key.type`.
pub static HOST_KEY_TYPE: FieldDef = FieldDef::new(
    "ssh.host_key.type",
    "Host key type",
    FieldType::Str,
    Base::None,
);
/// `ssh.host_sig.type`.
pub static HOST_SIG_TYPE: FieldDef = FieldDef::new(
    "ssh.host_sig.type",
    "Host signature type",
    FieldType::Str,
    Base::None,
);

macro_rules! name_list {
    ($len:ident, $s:ident, $name:literal) => {
        /// A KEXINIT name-list's length.
        pub static $len: FieldDef = FieldDef::new(
            concat!("ssh.", $name, "_length"),
            concat!($name, " length"),
            FieldType::UInt(32),
            Base::Dec,
        );
        /// A KEXINIT name-list.
        pub static $s: FieldDef = FieldDef::new(
            concat!("ssh.", $name),
            concat!($name, " string"),
            FieldType::Str,
            Base::None,
        );
    };
}

name_list!(KEX_LEN, KEX, "kex_algorithms");
name_list!(HOSTKEY_LEN, HOSTKEY, "server_host_key_algorithms");
name_list!(ENC_CS_LEN, ENC_CS, "encryption_algorithms_client_to_server");
name_list!(ENC_SC_LEN, ENC_SC, "encryption_algorithms_server_to_client");
name_list!(MAC_CS_LEN, MAC_CS, "mac_algorithms_client_to_server");
name_list!(MAC_SC_LEN, MAC_SC, "mac_algorithms_server_to_client");
name_list!(
    COMP_CS_LEN,
    COMP_CS,
    "compression_algorithms_client_to_server"
);
name_list!(
    COMP_SC_LEN,
    COMP_SC,
    "compression_algorithms_server_to_client"
);
name_list!(LANG_CS_LEN, LANG_CS, "languages_client_to_server");
name_list!(LANG_SC_LEN, LANG_SC, "languages_server_to_client");

/// The ten KEXINIT name-lists in wire order (RFC 4253 §7.1).
static NAME_LISTS: [(&FieldDef, &FieldDef); 10] = [
    (&KEX_LEN, &KEX),
    (&HOSTKEY_LEN, &HOSTKEY),
    (&ENC_CS_LEN, &ENC_CS),
    (&ENC_SC_LEN, &ENC_SC),
    (&MAC_CS_LEN, &MAC_CS),
    (&MAC_SC_LEN, &MAC_SC),
    (&COMP_CS_LEN, &COMP_CS),
    (&COMP_SC_LEN, &COMP_SC),
    (&LANG_CS_LEN, &LANG_CS),
    (&LANG_SC_LEN, &LANG_SC),
];

/// Every field.
pub static FIELDS: &[&FieldDef] = &[
    &SSH,
    &PROTOCOL_FIELD,
    &DIRECTION,
    &PACKET_LENGTH,
    &PADDING_LENGTH,
    &MESSAGE_CODE,
    &COOKIE,
    &KEX_LEN,
    &KEX,
    &HOSTKEY_LEN,
    &HOSTKEY,
    &ENC_CS_LEN,
    &ENC_CS,
    &ENC_SC_LEN,
    &ENC_SC,
    &MAC_CS_LEN,
    &MAC_CS,
    &MAC_SC_LEN,
    &MAC_SC,
    &COMP_CS_LEN,
    &COMP_CS,
    &COMP_SC_LEN,
    &COMP_SC,
    &LANG_CS_LEN,
    &LANG_CS,
    &LANG_SC_LEN,
    &LANG_SC,
    &FIRST_KEX_FOLLOWS,
    &KEX_RESERVED,
    &Q_C_LENGTH,
    &Q_C,
    &Q_S_LENGTH,
    &Q_S,
    &HOST_KEY_LENGTH,
    &HOST_KEY_TYPE,
    &HOST_SIG_TYPE,
    &PADDING_STRING,
];

/// One binary packet in clear: where it is and its parts.
struct Msg<'a> {
    /// Offset in the layer.
    at: usize,
    packet_len: u32,
    padding_len: u8,
    code: u8,
    /// The payload after the message code.
    body: &'a [u8],
    padding: &'a [u8],
}

/// The packets in clear at the start of `data`, in order (stops at the first that is not).
fn messages(data: &[u8]) -> impl Iterator<Item = Msg<'_>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let rest = data.get(at..)?;
        let packet_len = rest.u32_at(0)?;
        let padding_len = rest.u8_at(4)?;
        let code = rest.u8_at(5)?;
        let pl = packet_len as usize;
        let plausible = (12..=MAX_PACKET).contains(&pl)
            && (pl + 4) % 8 == 0
            && padding_len >= 4
            && usize::from(padding_len) + 1 < pl
            && matches!(code, 1..=7 | 20..=49);
        if !plausible {
            return None;
        }
        let end = 4 + pl;
        let payload_end = end - usize::from(padding_len);
        let body = rest.get(6..payload_end)?;
        let padding = rest.get(payload_end..end)?;
        let m = Msg {
            at,
            packet_len,
            padding_len,
            code,
            body,
            padding,
        };
        at += end;
        Some(m)
    })
    .take(MAX_MESSAGES)
}

/// Dissects a banner or binary packets (declines anything else off port 22).
pub fn dissect<'a>(data: &'a [u8], _off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    if data.is_empty() {
        return Ok(None);
    }
    let side = side_by_port(cx, 22);
    let aux = if data.starts_with(b"SSH-") {
        BANNER
    } else if side == Side::Unknown {
        // Only a banner is recognised away from port 22.
        return Ok(None);
    } else {
        messages(data).count() as u32
    };
    super::app::claim(&PROTOCOL, data, side, aux)
}

/// The banner line without its line end.
fn banner(data: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', data) {
        Some(i) => data.get(..i).unwrap_or(data),
        None => data,
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// An SSH string (u32 length, bytes) at `at` of `b`: (length, bytes).
fn string_at(b: &[u8], at: usize) -> Option<(u32, &[u8])> {
    let n = b.u32_at(at)?;
    let s = b.get(at + 4..(at + 4).checked_add(n as usize)?)?;
    Some((n, s))
}

fn message_name(code: u8, body: &[u8]) -> &'static str {
    // Key sizes above this are finite-field DH values, not curve points (P-521: 133 bytes).
    let ec = |key: Option<(u32, &[u8])>| key.is_some_and(|(n, _)| n <= 133);
    match code {
        1 => "Disconnect",
        2 => "Ignore",
        3 => "Unimplemented",
        4 => "Debug",
        5 => "Service Request",
        6 => "Service Accept",
        7 => "Extension Info",
        20 => "Key Exchange Init",
        21 => "New Keys",
        30 if ec(string_at(body, 0)) => "Elliptic Curve Diffie-Hellman Key Exchange Init",
        30 => "Diffie-Hellman Key Exchange Init",
        31 => {
            let key = string_at(body, 0).and_then(|(n, _)| string_at(body, 4 + n as usize));
            if ec(key) {
                "Elliptic Curve Diffie-Hellman Key Exchange Reply"
            } else {
                "Diffie-Hellman Key Exchange Reply"
            }
        }
        32 => "Diffie-Hellman Group Exchange Init",
        33 => "Diffie-Hellman Group Exchange Reply",
        34 => "Diffie-Hellman Group Exchange Request",
        _ => "Key Exchange",
    }
}

fn side_word(side: Side) -> &'static str {
    match side {
        Side::Server => "Server: ",
        _ => "Client: ",
    }
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    // tshark names the version once the server's banner has been seen in the conversation;
    // a client banner is mostly the first SSH message of a capture.
    let named = !(a.aux == BANNER && a.side != Side::Server);
    c.protocol.push_str(if named { "SSHv2" } else { "SSH" });
    c.info.push_str(side_word(a.side));
    if a.aux == BANNER {
        c.info.push_str("Protocol (");
        c.info.push_str(&String::from_utf8_lossy(banner(a.data)));
        c.info.push(')');
        return;
    }
    for (i, m) in messages(a.data).take(a.aux as usize).enumerate() {
        if i > 0 {
            c.info.push_str(", ");
        }
        c.info.push_str(message_name(m.code, m.body));
    }
}

fn tcpdump(a: &App<'_>, t: &mut TcpdumpText<'_>) {
    // tcpdump prints the banner line only (`print_ssh_banner`).
    if a.aux == BANNER {
        t.out.push_str(": SSH: ");
        t.out.push_str(&String::from_utf8_lossy(banner(a.data)));
    }
}

fn emit<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    let d = a.data;
    sink.open(&SSH, Value::None, Span::new(off, d.len()), None);
    if a.aux == BANNER {
        let b = banner(d);
        sink.field(
            &PROTOCOL_FIELD,
            Value::Str(String::from_utf8_lossy(b)),
            Span::new(off, b.len()),
            None,
        );
    } else {
        for m in messages(d).take(a.aux as usize) {
            emit_message(&m, off + m.at, sink);
        }
    }
    if a.side != Side::Unknown {
        let s2c = a.side == Side::Server;
        let label = if s2c {
            "Direction: server-to-client"
        } else {
            "Direction: client-to-server"
        };
        sink.field(
            &DIRECTION,
            Value::Bool(s2c),
            Span::NONE,
            Some(format_args!("{label}")),
        );
    }
    sink.close();
}

fn emit_message<'a>(m: &Msg<'a>, at: usize, sink: &mut dyn Sink<'a>) {
    let u = |v: u32| Value::UInt(u64::from(v));
    sink.field(&PACKET_LENGTH, u(m.packet_len), Span::new(at, 4), None);
    sink.field(
        &PADDING_LENGTH,
        u(u32::from(m.padding_len)),
        Span::new(at + 4, 1),
        None,
    );
    if sink.wants_labels() {
        sink.field(
            &MESSAGE_CODE,
            u(u32::from(m.code)),
            Span::new(at + 5, 1),
            Some(format_args!(
                "Message Code: {} ({})",
                message_name(m.code, m.body),
                m.code
            )),
        );
    } else {
        sink.field(&MESSAGE_CODE, u(u32::from(m.code)), Span::NONE, None);
    }
    let body_at = at + 6;
    let b = m.body;
    match m.code {
        20 => {
            if let Some(cookie) = b.get(..16) {
                sink.field(&COOKIE, Value::Bytes(cookie), Span::new(body_at, 16), None);
            }
            let mut p = 16usize;
            for (len_def, def) in NAME_LISTS {
                let Some((n, s)) = string_at(b, p) else {
                    break;
                };
                sink.field(len_def, u(n), Span::new(body_at + p, 4), None);
                sink.field(
                    def,
                    Value::Str(String::from_utf8_lossy(s)),
                    Span::new(body_at + p + 4, s.len()),
                    None,
                );
                p += 4 + s.len();
            }
            if let Some(f) = b.u8_at(p) {
                sink.field(
                    &FIRST_KEX_FOLLOWS,
                    u(u32::from(f)),
                    Span::new(body_at + p, 1),
                    None,
                );
            }
            if let Some(r) = b.get(p + 1..p + 5) {
                sink.field(
                    &KEX_RESERVED,
                    Value::Bytes(r),
                    Span::new(body_at + p + 1, 4),
                    None,
                );
            }
        }
        30 => {
            if let Some((n, q)) = string_at(b, 0) {
                if n <= 133 {
                    sink.field(&Q_C_LENGTH, u(n), Span::new(body_at, 4), None);
                    sink.field(&Q_C, Value::Bytes(q), Span::new(body_at + 4, q.len()), None);
                }
            }
        }
        31 => {
            if let Some((n, key)) = string_at(b, 0) {
                sink.field(&HOST_KEY_LENGTH, u(n), Span::new(body_at, 4), None);
                if let Some((_, t)) = string_at(key, 0) {
                    sink.field(
                        &HOST_KEY_TYPE,
                        Value::Str(String::from_utf8_lossy(t)),
                        Span::new(body_at + 8, t.len()),
                        None,
                    );
                }
                let q_at = 4 + n as usize;
                if let Some((qn, q)) = string_at(b, q_at).filter(|(qn, _)| *qn <= 133) {
                    sink.field(&Q_S_LENGTH, u(qn), Span::new(body_at + q_at, 4), None);
                    sink.field(
                        &Q_S,
                        Value::Bytes(q),
                        Span::new(body_at + q_at + 4, q.len()),
                        None,
                    );
                    let sig_at = q_at + 4 + q.len();
                    if let Some((_, sig)) = string_at(b, sig_at) {
                        if let Some((_, t)) = string_at(sig, 0) {
                            sink.field(
                                &HOST_SIG_TYPE,
                                Value::Str(String::from_utf8_lossy(t)),
                                Span::new(body_at + sig_at + 8, t.len()),
                                None,
                            );
                        }
                    }
                }
            }
        }
        _ => {}
    }
    let pad_at = at + 4 + m.packet_len as usize - m.padding.len();
    sink.field(
        &PADDING_STRING,
        Value::Bytes(m.padding),
        Span::new(pad_at, m.padding.len()),
        None,
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::dissect::Decoded;

    fn cx(src: u16, dst: u16) -> DissectCx {
        DissectCx {
            ports: Some((src, dst)),
            ..DissectCx::default()
        }
    }

    fn packet(code: u8, body: &[u8]) -> Vec<u8> {
        // Padding to a multiple of 8 with at least 4 bytes.
        let mut pad = 4;
        while (4 + 1 + 1 + body.len() + pad) % 8 != 0 {
            pad += 1;
        }
        let len = (1 + 1 + body.len() + pad) as u32;
        let mut v = len.to_be_bytes().to_vec();
        v.push(pad as u8);
        v.push(code);
        v.extend_from_slice(body);
        v.extend(std::iter::repeat_n(0, pad));
        v
    }

    #[test]
    fn banner_and_side() {
        let d = b"SSH-2.0-OpenSSH_9.2\r\n";
        let r = dissect(d, 0, &mut cx(50000, 22)).unwrap().unwrap();
        let Decoded::App(a) = r.layer else { panic!() };
        assert_eq!(a.aux, BANNER);
        assert_eq!(a.side, Side::Client);
        assert_eq!(banner(a.data), b"SSH-2.0-OpenSSH_9.2");
    }

    #[test]
    fn two_messages_in_one_segment_and_a_truncated_third() {
        let mut d = packet(21, &[]);
        d.extend(packet(5, b"\0\0\0\x0cssh-userauth"));
        let third = packet(20, &[0; 40]);
        d.extend_from_slice(&third[..20]);
        let r = dissect(&d, 0, &mut cx(22, 50000)).unwrap().unwrap();
        let Decoded::App(a) = r.layer else { panic!() };
        assert_eq!(a.aux, 2, "the cut third message is not counted");
        let mut t = (String::new(), String::new());
        columns(
            &a,
            &mut ColumnText {
                protocol: &mut t.0,
                info: &mut t.1,
            },
        );
        assert_eq!(t.1, "Server: New Keys, Service Request");
    }

    #[test]
    fn encrypted_packets_are_not_read_as_messages() {
        // AES-GCM: length in clear, a multiple of 16; the rest random.
        let mut d = 32u32.to_be_bytes().to_vec();
        d.extend_from_slice(&[7u8, 20, 1, 2, 3]);
        d.resize(4 + 32 + 16, 0xa5);
        assert_eq!(messages(&d).count(), 0);
        // Off port 22 only a banner is claimed.
        assert!(dissect(&d, 0, &mut cx(1000, 2000)).unwrap().is_none());
    }

    #[test]
    fn hostile_lengths_do_not_panic() {
        for n in 0..64usize {
            let mut d = vec![0xffu8; n];
            if n > 4 {
                d[..4].copy_from_slice(&(n as u32).to_be_bytes());
            }
            let _ = dissect(&d, 0, &mut cx(22, 1));
            let _ = messages(&d).count();
        }
    }
}
