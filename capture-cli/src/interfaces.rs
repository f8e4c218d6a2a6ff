//! `paircap interfaces` (and `paircap capture -D`): the devices libpcap can capture on, with
//! state and addresses, numbered like tcpdump -D.

use anyhow::{anyhow, Result};
use std::process::ExitCode;

/// Lists the interfaces.
pub fn run() -> Result<ExitCode> {
    let devices = pcap::Device::list().map_err(|e| anyhow!("cannot list interfaces: {e}"))?;
    if devices.is_empty() {
        eprintln!(
            "paircap: no interfaces found (capturing may need root, or cap_net_raw,cap_net_admin)"
        );
    }
    for (i, d) in devices.iter().enumerate() {
        let f = &d.flags;
        let mut state = Vec::new();
        if f.is_up() {
            state.push("Up");
        }
        if f.is_running() {
            state.push("Running");
        }
        if f.is_wireless() {
            state.push("Wireless");
        }
        if f.is_loopback() {
            state.push("Loopback");
        }
        match f.connection_status {
            pcap::ConnectionStatus::Connected => state.push("Connected"),
            pcap::ConnectionStatus::Disconnected => state.push("Disconnected"),
            _ => {}
        }
        let desc = d
            .desc
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        println!("{}.{}{} [{}]", i + 1, d.name, desc, state.join(", "));
        for a in &d.addresses {
            match a.netmask {
                Some(m) => println!("      {} netmask {}", a.addr, m),
                None => println!("      {}", a.addr),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
