//! The page's reducer, driven through the sequences a user produces.

use std::rc::Rc;
use viewer_web::model::{completions, Action, FilterState, Nav, Phase, State, Theme, ROW_CACHE};
use viewer_web::proto::{Column, DetailNode, Details, FilterProblem, Row, Summary, TimeFormat};

fn row(pos: u32, number: u32) -> Row {
    Row {
        pos,
        number,
        time: "0.000000000".into(),
        source: "10.0.0.1".into(),
        destination: "10.0.0.2".into(),
        protocol: "TCP".into(),
        length: 60,
        info: String::new(),
        color: 255,
        file_start: None,
    }
}

fn opened(total: u64) -> Rc<State> {
    let s = Rc::new(State::default()).reduce(Action::Open {
        name: "a.pcap".into(),
        size: 1000,
    });
    let gen = s.view_gen;
    let s = s.reduce(Action::Progress {
        bytes: 1000,
        size: 1000,
        packets: total,
    });
    let s = s.reduce(Action::Indexed(
        Summary {
            packets: total,
            ..Summary::default()
        },
        12.0,
    ));
    let rows = (0..total.min(200) as u32).map(|p| row(p, p + 1)).collect();
    s.reduce(Action::Rows {
        gen,
        rows,
        total,
        displayed: total,
    })
}

#[test]
fn open_index_and_rows() {
    let s = Rc::new(State::default());
    assert_eq!(s.phase, Phase::Empty);
    let s = s.reduce(Action::Open {
        name: "a.pcap".into(),
        size: 1000,
    });
    assert_eq!(
        s.phase,
        Phase::Indexing {
            bytes: 0,
            size: 1000
        }
    );
    assert_eq!(s.file, Some(("a.pcap".into(), 1000)));
    let s = s.reduce(Action::Progress {
        bytes: 500,
        size: 1000,
        packets: 40,
    });
    assert_eq!((s.total, s.displayed), (40, 40));
    let s = opened(1000);
    assert_eq!(s.phase, Phase::Ready);
    assert_eq!(s.index_ms, Some(12.0));
    assert_eq!(s.rows.len(), 200);
    assert!(s.error.is_none());
}

#[test]
fn rows_for_an_old_view_are_ignored_and_the_cache_is_bounded() {
    let s = opened(100_000);
    let stale = s.view_gen.wrapping_sub(1);
    let s2 = s.clone().reduce(Action::Rows {
        gen: stale,
        rows: vec![row(5000, 5001)],
        total: 100_000,
        displayed: 100_000,
    });
    assert!(Rc::ptr_eq(&s, &s2), "stale rows must not re-render");
    let mut s = s;
    for chunk in 0..20u32 {
        let gen = s.view_gen;
        let rows = (0..200)
            .map(|i| row(chunk * 200 + i, chunk * 200 + i + 1))
            .collect();
        s = s.reduce(Action::Rows {
            gen,
            rows,
            total: 100_000,
            displayed: 100_000,
        });
    }
    assert!(s.rows.len() <= ROW_CACHE);
}

#[test]
fn keyboard_moves_the_selection_and_keeps_it_visible() {
    let s = opened(1000).reduce(Action::Scroll {
        first: 0,
        visible: 20,
    });
    let s = s.reduce(Action::Key(Nav::Down));
    assert_eq!(
        (s.selected_pos, s.selected),
        (Some(0), Some(1)),
        "first Down selects the first row"
    );
    let s = s
        .reduce(Action::Key(Nav::Down))
        .reduce(Action::Key(Nav::Down));
    assert_eq!(s.selected_pos, Some(2));
    let s = s.reduce(Action::Key(Nav::PageDown));
    assert_eq!(s.selected_pos, Some(21));
    assert!(s.first + s.visible > 21 && s.first <= 21);
    let s = s.reduce(Action::Key(Nav::End));
    assert_eq!(s.selected_pos, Some(999));
    assert_eq!(s.first, 980);
    assert_eq!(s.selected, None, "row 999 has not arrived yet");
    let gen = s.view_gen;
    let s = s.reduce(Action::Rows {
        gen,
        rows: vec![row(999, 1000)],
        total: 1000,
        displayed: 1000,
    });
    assert_eq!(
        s.selected,
        Some(1000),
        "the selection resolves when its row arrives"
    );
    let s = s.reduce(Action::Key(Nav::Home));
    assert_eq!((s.selected_pos, s.first), (Some(0), 0));
    let s2 = s.clone().reduce(Action::Key(Nav::Up));
    assert!(Rc::ptr_eq(&s, &s2));
}

#[test]
fn details_and_byte_selection() {
    let s = opened(10).reduce(Action::Select(1));
    assert_eq!(s.selected, Some(2));
    // Details of another frame (a late answer) are ignored.
    let other = Details {
        side: viewer_web::proto::Side::Source,
        frame: 9,
        nodes: vec![],
        bytes: vec![],
    };
    let s2 = s.clone().reduce(Action::Details(other));
    assert!(s2.details.is_none());
    let node = |depth, field: &str, start, len| DetailNode {
        depth,
        field: Some(field.into()),
        label: field.into(),
        start,
        len,
        severity: None,
        filter: None,
    };
    let d = Details {
        side: viewer_web::proto::Side::Source,
        frame: 2,
        nodes: vec![
            node(0, "eth", 0, 14),
            node(1, "eth.dst", 0, 6),
            node(0, "ip", 14, 20),
            node(1, "ip.src", 26, 4),
        ],
        bytes: vec![0; 34],
    };
    let s = s.reduce(Action::Details(d));
    assert_eq!(s.highlight(), None);
    let s = s.reduce(Action::SelectNode(3));
    assert_eq!(s.highlight(), Some((26, 4)));
    let s = s.reduce(Action::SelectByte(3));
    assert_eq!(
        s.node,
        Some(1),
        "the deepest field covering byte 3 is eth.dst"
    );
    let s = s.reduce(Action::SelectByte(20));
    assert_eq!(s.node, Some(2));
}

#[test]
fn filter_lifecycle() {
    let s = opened(1000).reduce(Action::FilterText("tcp.prot == 80".into()));
    let problem = FilterProblem {
        message: "unknown field".into(),
        start: 0,
        end: 8,
        rendered: "…".into(),
    };
    let s = s.reduce(Action::FilterChecked {
        text: "tcp.prot == 80".into(),
        problem: Some(problem.clone()),
        display: String::new(),
    });
    assert_eq!(s.filter, FilterState::Invalid(problem));
    // A check for text that is no longer in the box is ignored.
    let s = s.reduce(Action::FilterText("tcp.port == 80".into()));
    let s2 = s.clone().reduce(Action::FilterChecked {
        text: "tcp.prot == 80".into(),
        problem: None,
        display: String::new(),
    });
    assert!(Rc::ptr_eq(&s, &s2));
    let s = s.reduce(Action::FilterApplying);
    assert_eq!(s.filter, FilterState::Applying);
    let gen = s.view_gen;
    let s = s.reduce(Action::Filtered {
        text: "tcp.port == 80".into(),
        displayed: 7,
        display: "tcp.port == 80".into(),
        millis: 3.0,
    });
    assert_eq!((s.displayed, s.total), (7, 1000));
    assert_ne!(s.view_gen, gen, "rows of the unfiltered view are dropped");
    assert!(s.rows.is_empty());
    assert_eq!(s.history, vec!["tcp.port == 80".to_string()]);
    let s = s.reduce(Action::Filtered {
        text: "udp".into(),
        displayed: 3,
        display: "udp".into(),
        millis: 1.0,
    });
    let s = s.reduce(Action::Filtered {
        text: "tcp.port == 80".into(),
        displayed: 7,
        display: "tcp.port == 80".into(),
        millis: 1.0,
    });
    assert_eq!(
        s.history,
        vec!["tcp.port == 80".to_string(), "udp".to_string()],
        "newest first, no duplicates"
    );
    let s = s.reduce(Action::Filtered {
        text: String::new(),
        displayed: 1000,
        display: String::new(),
        millis: 1.0,
    });
    assert_eq!((s.displayed, &s.filter), (1000, &FilterState::Neutral));
}

#[test]
fn sort_time_format_theme_and_panes() {
    let s = opened(10).reduce(Action::Sort(Column::Length));
    assert_eq!(s.sort, (Column::Length, true));
    let s = s.reduce(Action::Sort(Column::Length));
    assert_eq!(
        s.sort,
        (Column::Length, false),
        "a second click flips the direction"
    );
    let gen = s.view_gen;
    let s = s.reduce(Action::Sorted { displayed: 10 });
    assert_ne!(s.view_gen, gen);
    let s = s.reduce(Action::SetTimeFormat(TimeFormat::Utc));
    assert_eq!(s.time_format, TimeFormat::Utc);
    let s = s
        .reduce(Action::SetTheme(Theme::Dark))
        .reduce(Action::Resize {
            list_pct: Some(99.0),
            details_pct: Some(1.0),
        });
    assert_eq!(
        (s.theme, s.list_pct, s.details_pct),
        (Theme::Dark, 85.0, 20.0)
    );
    // Opening another file keeps the user's preferences and forgets the old file.
    let s = s.reduce(Action::Open {
        name: "b.pcapng".into(),
        size: 5,
    });
    assert_eq!(
        (s.theme, s.time_format, s.total),
        (Theme::Dark, TimeFormat::Utc, 0)
    );
}

#[test]
fn damaged_files_show_the_problem() {
    let s = Rc::new(State::default()).reduce(Action::Open {
        name: "x".into(),
        size: 9,
    });
    let s = s.reduce(Action::Indexed(
        Summary {
            packets: 3,
            problems: vec!["record 4 truncated at offset 88".into()],
            ..Summary::default()
        },
        1.0,
    ));
    assert!(s
        .error
        .as_deref()
        .is_some_and(|e| e.contains("offset 88") && e.contains("every packet that could be read")));
    let s = s.reduce(Action::DismissError);
    assert!(s.error.is_none());
}

#[test]
fn filter_completions() {
    let (start, offers) = completions("tcp.analysis.re", 15, 12);
    assert_eq!(start, 0);
    assert!(offers
        .iter()
        .any(|c| c.insert == "tcp.analysis.retransmission"));
    let (start, offers) = completions("ip.src == 10.0.0.1 && tcp.fl", 28, 50);
    assert_eq!(start, 22);
    assert!(offers.iter().all(|c| c.insert.starts_with("tcp.fl")) && !offers.is_empty());
    // Values of a field with named values.
    let (_, offers) = completions("dns.qry.type == ", 16, 50);
    assert!(offers.iter().any(|c| c.detail == "AAAA"), "{offers:?}");
    assert!(
        completions("frame.len > 1", 13, 5).1.is_empty(),
        "numbers get no offers"
    );
}
