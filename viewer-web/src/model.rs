//! The page's state and its reducer: pure (no web APIs), so every interaction is tested
//! natively as a sequence of actions. Large data (rows, details) lives in the worker; the
//! page keeps the rows of the visible window and the selected packet.

use crate::proto::{
    Column, CompareSummary, Details, FilterProblem, PairRow, Row, Summary, TimeFormat,
};
use shared_decode::link::ViewLink;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Rows kept in the page at most (a few screens).
pub const ROW_CACHE: usize = 1500;
/// Row height in pixels (the list is virtualised on it).
pub const ROW_HEIGHT: f64 = 22.0;

/// Where the page is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Nothing opened yet.
    Empty,
    /// Indexing (rows can already be shown).
    Indexing {
        /// Bytes read.
        bytes: u64,
        /// File size.
        size: u64,
    },
    /// Indexed.
    Ready,
}

/// Filter box state.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterState {
    /// Empty or not checked yet.
    Neutral,
    /// Valid; the display-filter form.
    Valid(String),
    /// Invalid.
    Invalid(FilterProblem),
    /// Being applied.
    Applying,
}

/// Colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Follow the system.
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// The target capture of a compare.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Name.
    pub name: String,
    /// Size.
    pub size: u64,
    /// Bytes indexed.
    pub bytes: u64,
    /// Packets indexed.
    pub packets: u64,
    /// What it says about itself, once indexed.
    pub summary: Option<Rc<Summary>>,
    /// SHA-256.
    pub sha256: Option<String>,
}

/// Where a view link stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// No link.
    None,
    /// Waiting for its file(s) to be opened.
    Waiting,
    /// Applied; the file's hash not known yet.
    Applied,
    /// Applied, and the file is the one the link names.
    Verified,
    /// Applied, but something does not match (the message says what).
    Mismatch(String),
}

/// Share of the height the packet list takes (the details and hex panes share the rest).
pub const DEFAULT_LIST_PCT: f64 = 55.0;
/// The list's share in compare mode.
pub const COMPARE_LIST_PCT: f64 = 70.0;

/// A followed TCP stream.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowResult {
    /// `tcp.stream`.
    pub stream: u32,
    /// TCP streams in the capture.
    pub streams: u32,
    /// Client and server.
    pub nodes: Vec<String>,
    /// The chunks.
    pub chunks: Vec<crate::proto::FollowChunk>,
    /// Cut at [`crate::proto::FOLLOW_MAX_BYTES`].
    pub truncated: bool,
}

/// A statistic the worker computed.
#[derive(Clone, Debug, PartialEq)]
pub struct StatsResult {
    /// tshark's `-z` name.
    pub kind: String,
    /// Over the displayed packets only.
    pub displayed: bool,
    /// Packets counted.
    pub packets: u64,
    /// The table.
    pub grid: crate::proto::StatGrid,
}

/// The page state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Phase.
    pub phase: Phase,
    /// File name and size.
    pub file: Option<(String, u64)>,
    /// File summary after indexing.
    pub summary: Option<Rc<Summary>>,
    /// Packets in the file.
    pub total: u64,
    /// Packets displayed.
    pub displayed: u64,
    /// Rows by display position (visible window and a bit around it).
    pub rows: Rc<BTreeMap<u32, Row>>,
    /// Bumped whenever cached rows become stale (filter, sort, time format).
    pub view_gen: u32,
    /// First visible position.
    pub first: u32,
    /// Rows that fit in the list.
    pub visible: u32,
    /// Selected display position.
    pub selected_pos: Option<u32>,
    /// Selected frame.
    pub selected: Option<u32>,
    /// Details of the selected frame.
    pub details: Option<Rc<Details>>,
    /// Selected tree line.
    pub node: Option<usize>,
    /// Filter text in the box.
    pub filter_text: String,
    /// Filter applied to the view.
    pub applied: String,
    /// Filter box state.
    pub filter: FilterState,
    /// Filters applied before (newest first, no duplicates).
    pub history: Vec<String>,
    /// Time column style.
    pub time_format: TimeFormat,
    /// Sort column and direction.
    pub sort: (Column, bool),
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Error to show in the banner.
    pub error: Option<String>,
    /// Capture-properties dialog open.
    pub show_properties: bool,
    /// Colour legend open.
    pub show_legend: bool,
    /// Theme.
    pub theme: Theme,
    /// Packet list height, percent of the work area.
    pub list_pct: f64,
    /// Details width, percent of the lower area.
    pub details_pct: f64,
    /// Milliseconds the index took.
    pub index_ms: Option<f64>,
    /// Milliseconds the last filter took.
    pub filter_ms: Option<f64>,
    /// A view link from the URL.
    pub link: Option<ViewLink>,
    /// What became of it.
    pub link_status: LinkStatus,
    /// The link's display filter, shown in the filter box and waiting for the user to run it
    /// (a link is text from someone else: nothing it holds runs unasked).
    pub link_filter_pending: Option<String>,
    /// A share link being shown.
    pub share: Option<String>,
    /// The export dialog is open.
    pub show_export: bool,
    /// The statistics dialog is open.
    pub show_stats: bool,
    /// The statistic asked for last (tshark's `-z` name) and whether over the displayed
    /// packets only.
    pub stats_asked: Option<(String, bool)>,
    /// Its result (`None` while it is computed).
    pub stats: Option<Rc<StatsResult>>,
    /// The Follow TCP stream dialog is open.
    pub show_follow: bool,
    /// The stream it shows (`None` while it is reassembled).
    pub follow: Option<Rc<FollowResult>>,
    /// The target capture of a compare.
    pub target: Option<Rc<Target>>,
    /// What the compare found (the page is in compare mode once it is set).
    pub compare: Option<Rc<CompareSummary>>,
    /// Rows of the unfiltered aligned view (compare mode).
    pub compare_rows: u64,
    /// What a running compare is doing.
    pub comparing: Option<String>,
    /// Aligned rows by display position (compare mode).
    pub pair_rows: Rc<BTreeMap<u32, PairRow>>,
    /// The selected row's (source, target) frames (compare mode; 0 = none).
    pub selected_pair: Option<(u32, u32)>,
    /// Details of the selected target packet.
    pub twin_details: Option<Rc<Details>>,
    /// Field differences of the selected pair.
    pub diff: Option<Rc<Vec<(String, String, String)>>>,
    /// The compare summary panel is shown.
    pub show_summary: bool,
    /// A clock offset the user (or a link) set for the compare, ms.
    pub manual_offset: Option<f64>,
    /// A passing message (not an error).
    pub info: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            phase: Phase::Empty,
            file: None,
            summary: None,
            total: 0,
            displayed: 0,
            rows: Rc::new(BTreeMap::new()),
            view_gen: 0,
            first: 0,
            visible: 30,
            selected_pos: None,
            selected: None,
            details: None,
            node: None,
            filter_text: String::new(),
            applied: String::new(),
            filter: FilterState::Neutral,
            history: Vec::new(),
            time_format: TimeFormat::Relative,
            sort: (Column::Number, true),
            sha256: None,
            error: None,
            show_properties: false,
            show_legend: false,
            theme: Theme::System,
            list_pct: DEFAULT_LIST_PCT,
            details_pct: 50.0,
            index_ms: None,
            filter_ms: None,
            link: None,
            link_status: LinkStatus::None,
            link_filter_pending: None,
            share: None,
            show_export: false,
            show_stats: false,
            stats_asked: None,
            stats: None,
            show_follow: false,
            follow: None,
            target: None,
            compare: None,
            compare_rows: 0,
            comparing: None,
            pair_rows: Rc::new(BTreeMap::new()),
            selected_pair: None,
            twin_details: None,
            diff: None,
            show_summary: false,
            manual_offset: None,
            info: None,
        }
    }
}

/// Everything that can happen to the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A file was chosen.
    Open {
        /// Name.
        name: String,
        /// Size.
        size: u64,
    },
    /// Indexing progress.
    Progress {
        /// Bytes read.
        bytes: u64,
        /// Size.
        size: u64,
        /// Packets.
        packets: u64,
    },
    /// Indexing finished.
    Indexed(Summary, f64),
    /// Rows arrived.
    Rows {
        /// View generation they were requested for.
        gen: u32,
        /// Rows.
        rows: Vec<Row>,
        /// Total packets.
        total: u64,
        /// Displayed packets.
        displayed: u64,
    },
    /// The list scrolled.
    Scroll {
        /// First visible position.
        first: u32,
        /// Visible rows.
        visible: u32,
    },
    /// Select a display position (click).
    Select(u32),
    /// Keyboard navigation.
    Key(Nav),
    /// Details arrived.
    Details(Details),
    /// Select a tree line.
    SelectNode(usize),
    /// A byte in the hex pane was clicked: select the deepest field covering it.
    SelectByte(u32),
    /// The filter box changed.
    FilterText(String),
    /// Filter check result.
    FilterChecked {
        /// Text checked.
        text: String,
        /// Problem, if any.
        problem: Option<FilterProblem>,
        /// Display form.
        display: String,
    },
    /// A filter is being applied.
    FilterApplying,
    /// A filter was applied.
    Filtered {
        /// Filter text.
        text: String,
        /// Displayed packets.
        displayed: u64,
        /// Display form.
        display: String,
        /// Milliseconds.
        millis: f64,
    },
    /// Time column style.
    SetTimeFormat(TimeFormat),
    /// Sort by a column (same column again flips the direction).
    Sort(Column),
    /// The view was re-sorted by the worker.
    Sorted {
        /// Displayed packets.
        displayed: u64,
    },
    /// Jump to a display position (Ctrl+G result).
    GoTo(u32),
    /// A file's hash is known: (name, size) of the file it is of, hex digest.
    Hash((String, u64), String),
    /// Show an error.
    Error(String),
    /// Hide the error banner.
    DismissError,
    /// Toggle the capture-properties dialog.
    ToggleProperties,
    /// Toggle the colour legend.
    ToggleLegend,
    /// Theme.
    SetTheme(Theme),
    /// A view link was opened: remember it and apply what needs no file.
    LinkLoaded(ViewLink),
    /// The link's filter and packet were sent for the opened file.
    LinkApplied,
    /// The link's filter waits for the user's confirmation (`Some`), or was run or
    /// dismissed (`None`).
    LinkFilterPending(Option<String>),
    /// The opened file's SHA-256 (checked against the link).
    LinkChecked(String),
    /// The link's packet was found at another frame, or not at all.
    LinkPacket {
        /// Frame the link names.
        wanted: u32,
        /// Where it is here.
        found: Option<u32>,
    },
    /// Show a share link.
    ShowShare(String),
    /// Close the share dialog.
    HideShare,
    /// Open or close the export dialog.
    ToggleExport,
    /// Open or close the statistics dialog.
    ToggleStats,
    /// A statistic was asked of the worker.
    StatsAsked {
        /// tshark's `-z` name.
        kind: String,
        /// Over the displayed packets only.
        displayed: bool,
    },
    /// A statistic came back.
    Stats(Rc<StatsResult>),
    /// A TCP stream was asked to be followed (opens the dialog).
    FollowAsked,
    /// The followed stream came back.
    Followed(Rc<FollowResult>),
    /// Close the Follow dialog.
    CloseFollow,
    /// A target capture was chosen (compare).
    OpenTarget {
        /// Name.
        name: String,
        /// Size.
        size: u64,
    },
    /// Target indexing progress.
    TargetProgress {
        /// Bytes read.
        bytes: u64,
        /// Packets.
        packets: u64,
    },
    /// The target is indexed.
    TargetIndexed(Summary),
    /// The target's SHA-256: (name, size) of the file it is of, hex digest.
    TargetHash((String, u64), String),
    /// A compare is running.
    Comparing(String),
    /// A compare finished.
    Compared {
        /// Findings.
        summary: CompareSummary,
        /// Rows in the aligned view.
        displayed: u64,
    },
    /// Aligned rows arrived.
    PairRows {
        /// View generation they were asked for.
        gen: u32,
        /// Rows.
        rows: Vec<PairRow>,
        /// Rows in the view.
        displayed: u64,
    },
    /// Field differences of a pair arrived.
    Diff {
        /// Source frame.
        src: u32,
        /// Target frame.
        dst: u32,
        /// (field, source, target).
        fields: Vec<(String, String, String)>,
    },
    /// Show or hide the compare summary.
    ToggleSummary,
    /// The compare's clock offset was set by hand (`None`: estimate it).
    SetOffset(Option<f64>),
    /// Show a passing message.
    Info(String),
    /// Resize the list / details split.
    Resize {
        /// List height percent.
        list_pct: Option<f64>,
        /// Details width percent.
        details_pct: Option<f64>,
    },
}

/// Keyboard moves in the packet list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
}

/// Keeps at most [`ROW_CACHE`] rows, dropping those farthest from `center` first.
fn trim_cache<T>(map: &mut BTreeMap<u32, T>, center: u32) {
    while map.len() > ROW_CACHE {
        let (Some(&lo), Some(&hi)) = (map.keys().next(), map.keys().next_back()) else {
            return;
        };
        map.remove(if center.abs_diff(lo) > center.abs_diff(hi) {
            &lo
        } else {
            &hi
        });
    }
}

impl State {
    /// Applies an action (returns the same `Rc` when nothing changes, so Yew skips a render).
    pub fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Open { name, size } => {
                s = State {
                    theme: self.theme,
                    time_format: self.time_format,
                    history: self.history.clone(),
                    list_pct: self.list_pct,
                    details_pct: self.details_pct,
                    visible: self.visible,
                    link: self.link.clone(),
                    target: self.target.clone(),
                    comparing: self
                        .target
                        .as_ref()
                        .map(|_| "indexing the source".to_string()),
                    link_status: match self.link_status {
                        LinkStatus::None => LinkStatus::None,
                        _ => LinkStatus::Waiting,
                    },
                    ..State::default()
                };
                if let Some(f) = self.link.as_ref().and_then(|l| l.source.as_ref()) {
                    if f.size != size || f.name != name {
                        s.link_status = LinkStatus::Mismatch(format!(
                            "the link was made with {} ({} bytes); this is {name} ({size} bytes)",
                            f.name, f.size
                        ));
                    }
                }
                s.file = Some((name, size));
                s.phase = Phase::Indexing { bytes: 0, size };
                s.view_gen = self.view_gen.wrapping_add(1);
            }
            Action::Progress {
                bytes,
                size,
                packets,
            } => {
                if s.phase == Phase::Ready {
                    return self;
                }
                s.phase = Phase::Indexing { bytes, size };
                if s.applied.is_empty() {
                    s.total = packets;
                    s.displayed = packets;
                } else {
                    s.total = packets;
                }
            }
            Action::Indexed(summary, ms) => {
                s.total = summary.packets;
                if s.applied.is_empty() {
                    s.displayed = summary.packets;
                }
                if !summary.problems.is_empty() {
                    s.error = Some(format!(
                        "{} — every packet that could be read is shown",
                        summary.problems.join("; ")
                    ));
                }
                s.summary = Some(Rc::new(summary));
                s.phase = Phase::Ready;
                s.index_ms = Some(ms);
            }
            Action::Rows {
                gen,
                rows,
                total,
                displayed,
            } => {
                if gen != s.view_gen {
                    return self;
                }
                let mut map = (*s.rows).clone();
                for r in rows {
                    map.insert(r.pos, r);
                }
                // Keep the cache bounded around the visible window.
                trim_cache(&mut map, s.first + s.visible / 2);
                s.rows = Rc::new(map);
                if s.selected.is_none() {
                    // A keyboard jump selected a position whose row had not arrived yet.
                    s.selected = s
                        .selected_pos
                        .and_then(|p| s.rows.get(&p))
                        .map(|r| r.number);
                }
                s.total = s.total.max(total);
                if s.applied.is_empty() {
                    s.displayed = displayed;
                }
            }
            Action::Scroll { first, visible } => {
                if first == s.first && visible == s.visible {
                    return self;
                }
                s.first = first;
                s.visible = visible.max(1);
            }
            Action::Select(pos) => {
                if s.selected_pos == Some(pos) {
                    return self;
                }
                s.select(pos);
            }
            Action::Key(nav) => {
                if s.displayed == 0 {
                    return self;
                }
                let last = (s.displayed - 1) as u32;
                let cur = s.selected_pos.unwrap_or(s.first);
                let page = s.visible.saturating_sub(1).max(1);
                let next = match nav {
                    // Nothing selected yet: the arrows start at the first visible row.
                    Nav::Up | Nav::Down | Nav::PageUp | Nav::PageDown
                        if s.selected_pos.is_none() =>
                    {
                        s.first.min(last)
                    }
                    Nav::Up => cur.saturating_sub(1),
                    Nav::Down => (cur + 1).min(last),
                    Nav::PageUp => cur.saturating_sub(page),
                    Nav::PageDown => (cur + page).min(last),
                    Nav::Home => 0,
                    Nav::End => last,
                };
                if s.selected_pos.is_some() && next == cur {
                    return self;
                }
                s.select(next);
            }
            Action::GoTo(pos) => s.select(pos),
            Action::Details(d) => {
                if d.side == crate::proto::Side::Target {
                    if s.selected_pair.map(|p| p.1) != Some(d.frame) {
                        return self;
                    }
                    s.twin_details = Some(Rc::new(d));
                    return Rc::new(s);
                }
                if s.selected != Some(d.frame) {
                    return self;
                }
                s.details = Some(Rc::new(d));
                s.node = None;
            }
            Action::SelectNode(i) => s.node = Some(i),
            Action::SelectByte(b) => {
                let Some(d) = &s.details else { return self };
                // The deepest line whose byte range covers the byte (ties: the last one).
                let hit = d
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.len > 0 && n.start <= b && b < n.start + n.len)
                    .max_by_key(|(i, n)| (n.depth, *i))
                    .map(|(i, _)| i);
                if hit.is_none() || hit == s.node {
                    return self;
                }
                s.node = hit;
            }
            Action::FilterText(t) => {
                if t == s.filter_text {
                    return self;
                }
                s.filter = FilterState::Neutral;
                s.filter_text = t;
            }
            Action::FilterChecked {
                text,
                problem,
                display,
            } => {
                if text != s.filter_text {
                    return self;
                }
                s.filter = match problem {
                    Some(p) => FilterState::Invalid(p),
                    None if text.trim().is_empty() => FilterState::Neutral,
                    None => FilterState::Valid(display),
                };
            }
            Action::FilterApplying => s.filter = FilterState::Applying,
            Action::Filtered {
                text,
                displayed,
                display,
                millis,
            } => {
                s.applied = text.clone();
                s.displayed = displayed;
                s.filter = if text.is_empty() {
                    FilterState::Neutral
                } else {
                    FilterState::Valid(display)
                };
                if !text.is_empty() {
                    s.history.retain(|h| h != &text);
                    s.history.insert(0, text);
                    s.history.truncate(30);
                }
                s.filter_ms = Some(millis);
                s.invalidate_rows();
                s.first = 0;
                s.selected_pos = None;
                s.selected = None;
                s.details = None;
                s.selected_pair = None;
                s.twin_details = None;
                s.diff = None;
                s.node = None;
            }
            Action::SetTimeFormat(t) => {
                if t == s.time_format {
                    return self;
                }
                s.time_format = t;
                s.invalidate_rows();
            }
            Action::Sort(_) if s.compare.is_some() => return self,
            Action::Sort(c) => {
                let asc = if s.sort.0 == c { !s.sort.1 } else { true };
                s.sort = (c, asc);
            }
            Action::Sorted { displayed } => {
                s.displayed = displayed;
                s.invalidate_rows();
                s.selected_pos = None;
                s.selected = None;
                s.details = None;
                s.node = None;
            }
            Action::Hash(f, h) => {
                if s.file.as_ref() != Some(&f) {
                    return self; // the hash of a file no longer open
                }
                s.sha256 = Some(h.clone());
                if s.link.is_some() {
                    return Rc::new(s).reduce(Action::LinkChecked(h));
                }
            }
            Action::Error(e) => s.error = Some(e),
            Action::DismissError => {
                if s.error.is_none() && s.info.is_none() {
                    return self;
                }
                s.error = None;
                s.info = None;
            }
            Action::LinkLoaded(l) => {
                if let Some(t) = l.time_format.as_deref().and_then(TimeFormat::from_key) {
                    s.time_format = t;
                }
                if let Some((a, b)) = l.layout {
                    s.list_pct = a.clamp(15.0, 85.0);
                    s.details_pct = b.clamp(20.0, 80.0);
                }
                if !l.filter.is_empty() {
                    s.filter_text = l.filter.clone();
                }
                s.link = Some(l);
                s.link_status = LinkStatus::Waiting;
            }
            Action::LinkFilterPending(f) => {
                s.link_filter_pending = f;
            }
            Action::LinkApplied => {
                if s.link_status == LinkStatus::Waiting {
                    s.link_status = LinkStatus::Applied;
                }
            }
            Action::LinkChecked(sha) => {
                let want = s
                    .link
                    .as_ref()
                    .and_then(|l| l.source.as_ref())
                    .map(|f| f.sha256.clone());
                match want {
                    Some(w) if !w.is_empty() && w != sha => {
                        s.link_status = LinkStatus::Mismatch(format!(
                            "this file's SHA-256 is {}…, the link's file has {}…: the view may show other packets",
                            &sha[..12.min(sha.len())],
                            &w[..12.min(w.len())]
                        ))
                    }
                    Some(w) if !w.is_empty() && matches!(s.link_status, LinkStatus::Applied | LinkStatus::Waiting) => {
                        s.link_status = LinkStatus::Verified
                    }
                    _ => return self,
                }
            }
            Action::LinkPacket { wanted, found } => {
                s.info = Some(match found {
                    Some(f) => format!("The link's packet {wanted} is packet {f} in this file."),
                    None => format!("The link's packet {wanted} is not in this file."),
                });
            }
            Action::ShowShare(u) => s.share = Some(u),
            Action::HideShare => s.share = None,
            Action::ToggleExport => s.show_export = !s.show_export,
            Action::ToggleStats => s.show_stats = !s.show_stats,
            Action::StatsAsked { kind, displayed } => {
                s.stats_asked = Some((kind, displayed));
                s.stats = None;
            }
            Action::FollowAsked => {
                s.show_follow = true;
                s.follow = None;
            }
            Action::Followed(f) => {
                if s.show_follow {
                    s.follow = Some(f);
                }
            }
            Action::CloseFollow => {
                s.show_follow = false;
                s.follow = None;
            }
            Action::Stats(r) => {
                // Only the answer to the last question.
                if s.stats_asked.as_ref() == Some(&(r.kind.clone(), r.displayed)) {
                    s.stats = Some(r);
                }
            }
            Action::OpenTarget { name, size } => {
                s.target = Some(Rc::new(Target {
                    name,
                    size,
                    bytes: 0,
                    packets: 0,
                    summary: None,
                    sha256: None,
                }));
                s.compare = None;
                s.comparing = Some("indexing the target".into());
                s.pair_rows = Rc::new(BTreeMap::new());
                s.selected_pair = None;
                s.twin_details = None;
                s.diff = None;
                if s.applied.is_empty() {
                    s.displayed = s.total;
                }
                s.invalidate_rows();
            }
            Action::TargetProgress { bytes, packets } => {
                let Some(t) = &s.target else { return self };
                s.target = Some(Rc::new(Target {
                    bytes,
                    packets,
                    ..(**t).clone()
                }));
            }
            Action::TargetIndexed(sum) => {
                let Some(t) = &s.target else { return self };
                if !sum.problems.is_empty() {
                    s.error = Some(format!(
                        "target: {} — every packet that could be read is compared",
                        sum.problems.join("; ")
                    ));
                }
                s.target = Some(Rc::new(Target {
                    packets: sum.packets,
                    bytes: t.size,
                    summary: Some(Rc::new(sum)),
                    ..(**t).clone()
                }));
            }
            Action::TargetHash(f, h) => {
                let Some(t) = s
                    .target
                    .as_ref()
                    .filter(|t| (t.name.as_str(), t.size) == (f.0.as_str(), f.1))
                else {
                    return self;
                };
                s.target = Some(Rc::new(Target {
                    sha256: Some(h.clone()),
                    ..(**t).clone()
                }));
                let want = s
                    .link
                    .as_ref()
                    .and_then(|l| l.target.as_ref())
                    .map(|f| f.sha256.clone())
                    .filter(|w| !w.is_empty());
                if let Some(w) = want {
                    if w != h {
                        s.link_status = LinkStatus::Mismatch(format!(
                            "the target's SHA-256 is {}…, the link's target has {}…",
                            &h[..12.min(h.len())],
                            &w[..12.min(w.len())]
                        ));
                    }
                }
            }
            Action::Comparing(stage) => s.comparing = Some(stage),
            Action::Compared { summary, displayed } => {
                s.compare = Some(Rc::new(summary));
                s.compare_rows = displayed;
                // Aligned rows need the height more than one packet's details do: unless the
                // user (or a link) chose a split, the list takes 70%.
                if (s.list_pct - DEFAULT_LIST_PCT).abs() < 0.01 {
                    s.list_pct = COMPARE_LIST_PCT;
                }
                s.comparing = None;
                s.displayed = displayed;
                s.applied.clear();
                s.filter_text.clear();
                s.filter = FilterState::Neutral;
                s.first = 0;
                s.selected_pos = None;
                s.selected = None;
                s.selected_pair = None;
                s.details = None;
                s.twin_details = None;
                s.diff = None;
                s.invalidate_rows();
            }
            Action::PairRows {
                gen,
                rows,
                displayed,
            } => {
                if gen != s.view_gen {
                    return self;
                }
                let mut map = (*s.pair_rows).clone();
                for r in rows {
                    map.insert(r.pos, r);
                }
                trim_cache(&mut map, s.first + s.visible / 2);
                s.pair_rows = Rc::new(map);
                if s.selected_pair.is_none() {
                    if let Some(p) = s.selected_pos {
                        s.select(p);
                    }
                }
                s.displayed = displayed;
            }
            Action::Diff { src, dst, fields } => {
                if s.selected_pair != Some((src, dst)) {
                    return self;
                }
                s.diff = Some(Rc::new(fields));
            }
            Action::ToggleSummary => s.show_summary = !s.show_summary,
            Action::SetOffset(o) => s.manual_offset = o,
            Action::Info(m) => s.info = Some(m),
            Action::ToggleProperties => s.show_properties = !s.show_properties,
            Action::ToggleLegend => s.show_legend = !s.show_legend,
            Action::SetTheme(t) => s.theme = t,
            Action::Resize {
                list_pct,
                details_pct,
            } => {
                if let Some(p) = list_pct {
                    s.list_pct = p.clamp(15.0, 85.0);
                }
                if let Some(p) = details_pct {
                    s.details_pct = p.clamp(20.0, 80.0);
                }
            }
        }
        Rc::new(s)
    }

    fn select(&mut self, pos: u32) {
        self.selected_pos = Some(pos);
        if self.compare.is_some() {
            let pair = self.pair_rows.get(&pos).map(|r| {
                (
                    r.src.as_ref().map_or(0, |x| x.number),
                    r.dst.as_ref().map_or(0, |x| x.number),
                )
            });
            self.selected_pair = pair;
            self.selected = pair.map(|p| p.0).filter(|&f| f != 0);
            self.twin_details = None;
            self.diff = None;
        } else {
            self.selected = self.rows.get(&pos).map(|r| r.number);
        }
        self.details = None;
        self.node = None;
        // Keep the selection on screen.
        if pos < self.first {
            self.first = pos;
        } else if pos >= self.first + self.visible {
            self.first = pos + 1 - self.visible;
        }
    }

    fn invalidate_rows(&mut self) {
        self.rows = Rc::new(BTreeMap::new());
        self.pair_rows = Rc::new(BTreeMap::new());
        self.view_gen = self.view_gen.wrapping_add(1);
    }

    /// Display positions in the visible window (plus overscan) that have no row yet.
    pub fn missing_rows(&self, overscan: u32) -> Option<(u32, u32)> {
        let start = self.first.saturating_sub(overscan);
        let end = (self.first + self.visible + overscan).min(self.displayed as u32);
        let compare = self.compare.is_some();
        let missing: Vec<u32> = (start..end)
            .filter(|p| {
                if compare {
                    !self.pair_rows.contains_key(p)
                } else {
                    !self.rows.contains_key(p)
                }
            })
            .collect();
        let (lo, hi) = (missing.first()?, missing.last()?);
        Some((*lo, hi - lo + 1))
    }

    /// The byte range to highlight in the hex pane.
    pub fn highlight(&self) -> Option<(u32, u32)> {
        let d = self.details.as_ref()?;
        let n = d.nodes.get(self.node?)?;
        (n.len > 0).then_some((n.start, n.len))
    }
}

/// One autocompletion offer for the filter box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Text that replaces the word under the cursor.
    pub insert: String,
    /// What it is (field label or value meaning).
    pub detail: String,
}

/// Completions for the filter text with the cursor at byte `cursor`: field names for the
/// word being typed, or value names after `field ==` when the field has named values.
/// Returns where the replaced word starts and up to `max` offers.
pub fn completions(text: &str, cursor: usize, max: usize) -> (usize, Vec<Completion>) {
    let cursor = cursor.min(text.len());
    let before = text.get(..cursor).unwrap_or("");
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-';
    let start = before.rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let word = before.get(start..).unwrap_or("");
    let schema = shared_decode::schema();
    // After "field op": named values of that field.
    let head = before.get(..start).unwrap_or("").trim_end();
    let ops = ["==", "!=", "eq", "ne", "in {", "{"];
    if let Some(op) = ops.iter().find(|o| head.ends_with(*o)) {
        let lhs = head.get(..head.len() - op.len()).unwrap_or("").trim_end();
        let fname = lhs.rsplit(|c: char| !is_word(c)).next().unwrap_or("");
        if let Some(def) = schema.get(fname) {
            let offers: Vec<Completion> = def
                .names
                .unwrap_or(&[])
                .iter()
                .filter(|(v, name)| {
                    word.is_empty()
                        || v.to_string().starts_with(word)
                        || name
                            .to_ascii_lowercase()
                            .starts_with(&word.to_ascii_lowercase())
                })
                .take(max)
                .map(|(v, name)| Completion {
                    insert: v.to_string(),
                    detail: (*name).to_string(),
                })
                .collect();
            return (start, offers);
        }
    }
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
        return (start, Vec::new());
    }
    let offers = schema
        .completions(word)
        .filter(|d| d.name != word)
        .take(max)
        .map(|d| Completion {
            insert: d.name.to_string(),
            detail: d.label.to_string(),
        })
        .collect();
    (start, offers)
}

impl State {
    /// The view link for what is on screen (`note` from the share dialog; the selected
    /// packet's digest when its details are loaded).
    pub fn view_link(&self, note: &str) -> ViewLink {
        use shared_decode::link::{packet_digest, FileRef, PacketRef};
        let packet = self.details.as_ref().map(|d| PacketRef {
            frame: u64::from(d.frame),
            digest: packet_digest(&d.bytes),
        });
        ViewLink {
            source: self.file.as_ref().map(|(name, size)| FileRef {
                name: name.clone(),
                size: *size,
                sha256: self.sha256.clone().unwrap_or_default(),
            }),
            target: self.target.as_ref().map(|t| FileRef {
                name: t.name.clone(),
                size: t.size,
                sha256: t.sha256.clone().unwrap_or_default(),
            }),
            filter: self.applied.clone(),
            packet,
            target_packet: self.twin_details.as_ref().map(|d| PacketRef {
                frame: u64::from(d.frame),
                digest: packet_digest(&d.bytes),
            }),
            time_format: Some(self.time_format.key().to_string()),
            layout: Some((self.list_pct, self.details_pct)),
            clock_offset_ms: self.manual_offset,
            note: note.to_string(),
        }
    }
}
