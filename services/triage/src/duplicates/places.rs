//! Where a complaint is: numbered address parts (3号楼, 2单元, 1502室, 12路),
//! named roads (光明路), named estates and venues (锦绣华庭, 夜色酒吧,
//! 育才小学), gates and blocks (南门, B座) and vehicle plates, all read
//! from normalised text.

use super::lexicon::holds_a_concept_word;
use super::text::{digit_runs, is_han};
use std::collections::{BTreeMap, BTreeSet};

/// Numbered address parts: kind → numbers. 3号楼 / 3栋 / 3幢 / 3座 are
/// buildings, 2单元 a unit, 301室 (or 1502 right after a building) a room,
/// 12路 a route, 5组 a village group, 2期 a phase, 8号 a house number.
pub fn address_parts(normalised: &str) -> BTreeMap<&'static str, BTreeSet<u32>> {
    let chars: Vec<char> = normalised.chars().collect();
    let mut parts: BTreeMap<&'static str, BTreeSet<u32>> = BTreeMap::new();
    for run in digit_runs(&chars) {
        let (start, i) = (run.start, run.end);
        let Ok(n) = chars[run].iter().collect::<String>().parse::<u32>() else {
            continue;
        };
        let next: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let before = start.checked_sub(1).map(|p| chars[p]);
        let after: String = chars[i..chars.len().min(i + 3)].iter().collect();
        let kind = if n == 1 && ["栋楼的", "栋楼都", "栋楼人", "栋楼住"].contains(&after.as_str())
        {
            // 1栋楼的人都害怕: the whole building, not building 1.
            None
        } else if next.starts_with("号楼")
            || next.starts_with("号院")
            || next.starts_with(['栋', '幢', '座'])
        {
            Some("building")
        } else if next.starts_with("单元") {
            Some("unit")
        } else if next.starts_with('组') {
            // 村民小组: 朝阳村1组 ≠ 3组.
            Some("group")
        } else if next.starts_with('期') {
            // A phase of a development: 2期 ≠ 3期.
            Some("phase")
        } else if next.starts_with('室') {
            Some("room")
        } else if next.starts_with('路') || next.starts_with("号线") {
            Some("route")
        } else if next.starts_with('号') {
            Some("number")
        } else if matches!(before, Some('栋' | '幢' | '元' | '楼'))
            && n >= 101
            && !next.starts_with(['元', '块', '度', '楼', '斤'])
        {
            // A room given right after its building or unit: 3栋1502.
            Some("room")
        } else if before.is_some_and(|c| ENDING_CHARS.contains(c))
            && looks_like_a_room(n)
            && !next.starts_with(NOT_AFTER_A_ROOM)
        {
            // A room given right after the estate: 嘉和苑1402.
            Some("room")
        } else {
            None
        };
        if let Some(kind) = kind {
            parts.entry(kind).or_default().insert(n);
        }
    }
    parts
}

/// Characters that end the names of estates (园, 苑, 城…). A number such
/// as 1402 right after one is a room (嘉和苑1402). (The flat above,
/// 楼上1502, is a neighbour's, and the caller may give their own the next
/// time.)
const ENDING_CHARS: &str = "苑园府湾庭城里";
/// Characters after a number that make it an amount, a year or a count,
/// not a room.
const NOT_AFTER_A_ROOM: [char; 16] = [
    '元', '块', '度', '楼', '斤', '年', '米', '个', '人', '万', '平', '天', '次', '号', '分', '多',
];

/// A flat's number: a floor and a door (1402, 802), each at most 40
/// (7-301 normalised to 7301 is a building and a room, not a flat).
fn looks_like_a_room(n: u32) -> bool {
    (1..=40).contains(&(n / 100)) && (1..=40).contains(&(n % 100))
}

/// Every position where `needle` starts in `hay` (non-overlapping), in chars.
fn find_all(hay: &[char], needle: &str) -> Vec<usize> {
    let n: Vec<char> = needle.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + n.len() <= hay.len() {
        if hay[i..].starts_with(&n) {
            out.push(i);
            i += n.len();
        } else {
            i += 1;
        }
    }
    out
}

/// The two characters before position `at`, when both are Chinese.
fn two_before(chars: &[char], at: usize) -> Option<String> {
    let start = at.checked_sub(2)?;
    let name = &chars[start..at];
    name.iter()
        .all(|c| is_han(*c))
        .then(|| name.iter().collect())
}

const ROAD_ENDINGS: [&str; 5] = ["大道", "大街", "路", "街", "巷"];
/// Words ending in 路 that are not roads (马路, 走路, 线路…, 2公里路段), by
/// their last two characters; nor are kinds of road (通组路, 水泥路, 柏油路)
/// or water thrown on one (泼路上).
const NOT_ROADS: [&str; 45] = [
    "马路", "走路", "修路", "过路", "道路", "公路", "线路", "出路", "铁路", "上路", "绕路", "半路",
    "带路", "问路", "水路", "电路", "网路", "到路", "条路", "段路", "的路", "堵路", "行路", "在路",
    "远路", "近路", "跑路", "让路", "挡路", "占路", "赶路", "迷路", "拦路", "临街", "沿街", "上街",
    "逛街", "满街", "小巷", "后巷", "里路", "组路", "泥路", "油路", "泼路",
];

/// Whether a named road of one complaint is named, without its ending, in
/// the other's text: callers shorten a junction (桃源路和凤栖路交叉口 →
/// 桃源凤栖那个路口). Ring roads ("3环") are found by their number only.
pub fn road_named_in(roads: &BTreeSet<String>, other_text: &str) -> bool {
    roads
        .iter()
        .any(|r| !r.ends_with('环') && other_text.contains(r.as_str()))
}

/// Named roads and streets, by the two characters before 路, 街, 大道 or
/// 巷: 光明路 → 光明; ring roads by their number: 东三环 → 3环. 路灯, 路面
/// and words such as 马路 are not roads.
pub fn roads(normalised: &str) -> BTreeSet<String> {
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = BTreeSet::new();
    for ending in ROAD_ENDINGS {
        let len = ending.chars().count();
        for at in find_all(&chars, ending) {
            let Some(name) = two_before(&chars, at) else {
                continue;
            };
            if matches!(
                chars.get(at + len),
                Some('灯' | '面' | '费' | '况' | '线' | '程' | '子' | '过')
            ) || (chars.get(at + len) == Some(&'人') && chars.get(at + len + 1) != Some(&'行'))
                || (ending == "街" && matches!(chars.get(at + len), Some('道' | '坊')))
                || (ending == "街" && at > 0 && chars[at - 1] == '大')
            {
                // 路灯, 路面…; 路人, but not 学府路人行道; 街道 is a street
                // office, and 申请街道 no street; 街坊 are neighbours; 大街
                // is read whole.
                continue;
            }
            let first = ending.chars().next().unwrap_or('路');
            let last = name.chars().last().unwrap_or(' ');
            let tail: String = [last, first].iter().collect();
            // 该路段 is this stretch; 第3中学路段 the stretch by a school,
            // not a road named 中学路.
            let a_stretch_by_a_place = chars.get(at + len) == Some(&'段')
                && (VENUE_ENDINGS.contains(&name.as_str())
                    || ESTATE_ENDINGS.contains(&name.as_str()));
            if NOT_ROADS.contains(&tail.as_str())
                || "条段那这该在的往到从至和与个路街道巷".contains(last)
                || a_stretch_by_a_place
            {
                continue;
            }
            // 滨河东路 is the east stretch of 滨河路: kept with its
            // direction (滨河东), which 滨河 agrees with and 滨河西 does not.
            let directed = at >= 3
                && "东南西北".contains(last)
                && two_before(&chars, at - 1).is_some_and(|n| {
                    !n.chars().any(|c| NOT_NAME_CHARS.contains(c))
                        && !GENERIC_NAMES.contains(&n.as_str())
                });
            if directed {
                out.insert(chars[at - 3..at].iter().collect());
            } else {
                out.insert(name);
            }
        }
    }
    // Ring roads by their number: 东三环 and 三环 → 3环 (≠ 2环).
    for run in digit_runs(&chars) {
        if chars.get(run.end) == Some(&'环') {
            let n: String = chars[run].iter().collect();
            out.insert(format!("{n}环"));
        }
    }
    out
}

/// Whether two complaints' roads are the same: with two or more roads
/// each (a crossing, a stretch), the same roads; otherwise one road in
/// common, up to a slip of the second character (桃源路 / 桃园路), unless
/// the two differ by a direction or number (东大街 / 西大街, 和平大街 /
/// 和平二街).
pub fn same_roads(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    if a.len() >= 2 && b.len() >= 2 {
        return a == b || a.intersection(b).count() >= 2;
    }
    a.iter().any(|x| {
        b.iter()
            .any(|y| x == y || a_slip(x, y) || one_stretch_of(x, y))
    })
}

/// One road named with a direction and the other without it: 滨河东 (路)
/// and 滨河 (路).
fn one_stretch_of(x: &str, y: &str) -> bool {
    let of = |long: &str, short: &str| {
        long.chars().count() == 3
            && long.starts_with(short)
            && long.chars().last().is_some_and(|c| "东南西北".contains(c))
    };
    of(x, y) || of(y, x)
}

/// A character that marks two like names apart (东大街 ≠ 西大街, 前沟村 ≠
/// 后沟村, 2号 ≠ 3号): names that differ in one are no slip.
fn marks_apart(c: char) -> bool {
    "东南西北上下前后中新老".contains(c) || c.is_ascii_digit()
}

/// Two road names alike but for a slip of the second character.
fn a_slip(x: &str, y: &str) -> bool {
    let (x, y): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
    x.len() == y.len()
        && x.first() == y.first()
        && x.iter()
            .zip(&y)
            .all(|(p, q)| p == q || !(marks_apart(*p) || marks_apart(*q)))
}

/// Endings of the names of estates (小区, 花园, 华庭, 苑…).
pub const ESTATE_ENDINGS: [&str; 16] = [
    "小区", "花园", "家园", "公寓", "大厦", "新村", "华庭", "花都", "山庄", "苑", "园", "府", "湾",
    "庭", "里", "城",
];
/// Endings of the names of venues people go to (广场, 医院, 小学, 酒吧…).
pub const VENUE_ENDINGS: [&str; 27] = [
    "校区",
    "分校",
    "站",
    "项目",
    "广场",
    "农贸市场",
    "菜市场",
    "公园",
    "市场",
    "菜场",
    "医院",
    "小学",
    "中学",
    "幼儿园",
    "学校",
    "酒吧",
    "清吧",
    "超市",
    "便利店",
    "健身",
    "游泳馆",
    "馆",
    "店",
    "厂",
    "工地",
    "桥",
    "村",
];
/// Endings of the names of firms and other named places.
pub const OTHER_ENDINGS: [&str; 7] = ["公司", "物业", "中心", "汽修", "中介", "机构", "河"];

/// Two characters before an ending that are common words, not names.
const GENERIC_NAMES: [&str; 70] = [
    "农贸", "商家", "大家", "回家", "全家", "老家", "店家", "东家", "厂家", "每家", "家家", "家里",
    "家长", "来水", "热力", "燃气", "供电", "物业", "政府", "管理", "服务", "有限", "公司", "电力",
    "自来", "供水", "环卫", "市场", "建设", "交通", "街道", "社区", "卫生", "教育", "公交", "出租",
    "汽车", "通信", "移动", "电信", "联通", "工程", "人民", "第2", "中心", "执法", "城管", "监管",
    "房产", "我家", "我们", "他们", "这个", "那个", "1个", "这家", "那家", "旁边", "附近", "门口",
    "对面", "楼下", "楼上", "就是", "还是", "1直", "已经", "我在", "在家", "餐饮",
];
/// Characters that are rarely part of a place's name but often of the
/// words around one (的, 在, 到, 楼…).
const NOT_NAME_CHARS: &str = "该认罚某的了在到找被说我你他她它也都就还又问有没是不和跟给让把从向往去来过这那哪些个示钱元块们吗呢吧啊要想会能可得地着很最更再刚将求请已经等及与或其之而且但如果因为所以打叫看用做干每今昨年月日时几些上下里外左右旁边对面门口附近楼房屋户人住";

/// A named place: the two characters of its name before its ending
/// (锦绣华庭 → (锦绣, 华庭)).
pub type Place = (String, &'static str);

/// The named places of a normalised text with any of `endings`.
pub fn named_places(normalised: &str, endings: &[&'static str]) -> BTreeSet<Place> {
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = BTreeSet::new();
    // Most endings are in no given text: a quick look first spares the
    // scan by characters.
    for ending in endings.iter().filter(|e| normalised.contains(**e)) {
        for at in find_all(&chars, ending) {
            // A village's school or clinic goes by the village's name:
            // 后湾村小学 = 后湾小学.
            let of_village = at > 0 && chars[at - 1] == '村' && *ending != "村";
            let Some(name) = two_before(&chars, if of_village { at - 1 } else { at }) else {
                continue;
            };
            if (name.chars().any(|c| NOT_NAME_CHARS.contains(c)) && !is_a_gate_name(&name))
                || GENERIC_NAMES.contains(&name.as_str())
                || told_by_kind(&chars, at)
                || holds_a_concept_word(&name)
                || (*ending == "里" && !ends_an_estate_name(&chars, at + 1))
                || (*ending == "村" && chars.get(at + 1) == Some(&'里'))
                || (*ending == "里" && name.ends_with('家'))
                || matches!(
                    chars.get(at + ending.chars().count()),
                    Some('乡' | '镇' | '县')
                )
            {
                // 村里 is the village (村里说, 要求村里出证明), not a
                // village's name: 出证明村里说 names no 证明村. 丈母娘家里
                // is at home, and a name running on into 乡, 镇 or 县 is a
                // township's (新桥乡 names no bridge).
                continue;
            }
            out.insert((name, *ending));
        }
    }
    out
}

/// Whether the place ending at `at` is told by its kind after a name
/// already given (华利那个衣服厂, 建材城那家瓷砖店): the two characters
/// before the ending say what it is, not what it is called.
fn told_by_kind(chars: &[char], at: usize) -> bool {
    at.checked_sub(4)
        .and_then(|p| chars.get(p..p + 2))
        .is_some_and(|w| matches!(w, ['那' | '这', '个' | '家']))
}

/// Whether a 里 at `at - 1` ends an estate's name (和平里小区, 梧桐里5栋,
/// 和光里物业), not a word such as 家里, 车厢里, 小区里有….
fn ends_an_estate_name(chars: &[char], after: usize) -> bool {
    match chars.get(after) {
        None => true,
        Some(c) => c.is_ascii_digit() || "小社物栋号幢".contains(*c),
    }
}

/// The name a respondent goes by: the first two characters of its name
/// once the administrative prefix (市, 东城区, 北区…) is taken off, when
/// they are a name and not a common word: 安家易房产经纪公司 → 安家,
/// 北区征收办 → 征收, 东城区热力公司 → none (热力 is a common word).
pub fn respondent_name(normalised_respondent: &str) -> Option<String> {
    let chars: Vec<char> = normalised_respondent.chars().collect();
    let mut start = 0;
    if chars.first().is_some_and(|c| "省市县区镇".contains(*c)) {
        start = 1;
    }
    if let Some(p) =
        (start + 1..chars.len().min(start + 3)).find(|&p| "市县区镇".contains(chars[p]))
    {
        start = p + 1;
    }
    let name: String = chars.get(start..start + 2)?.iter().collect();
    // A respondent's field holds only its name, so 和 there is part of
    // one (仁和口腔), not a conjunction.
    (name.chars().all(is_han)
        && !name
            .chars()
            .any(|c| c != '和' && NOT_NAME_CHARS.contains(c))
        && !GENERIC_NAMES.contains(&name.as_str())
        && !holds_a_concept_word(&name))
    .then_some(name)
}

/// A name that is a gate of the town (东门农贸市场, 西门菜场).
fn is_a_gate_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(
        (chars.next(), chars.next()),
        (Some('东' | '南' | '西' | '北'), Some('门'))
    )
}

/// Hospitals and schools as people shorten them: 市第三人民医院, 第三医院,
/// 三院 → 3院; 第三小学, 三小 → 3小; 第二中学, 二中 → 2中. (The text is
/// normalised, so the numeral is a digit.) A bare 3小 or 2中 is a school
/// only when no word goes on from it (3小时, 3小区, 2中队, 1中间).
pub fn numbered_institutions(normalised: &str) -> BTreeSet<String> {
    const GOES_ON: &str = "时区队心间旬午型件块份片盒包瓶杯碗斤个孩组号米期";
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = BTreeSet::new();
    for run in digit_runs(&chars) {
        let (start, i) = (run.start, run.end);
        let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
        let numbered = start
            .checked_sub(1)
            .is_some_and(|p| matches!(chars[p], '第' | '市'));
        let n: String = chars[run].iter().collect();
        if rest.starts_with('院')
            || numbered && (rest.starts_with("人民医院") || rest.starts_with("医院"))
        {
            out.insert(format!("{n}院"));
        }
        for school in ['小', '中'] {
            let after = rest.chars().nth(1);
            if rest.starts_with(school)
                && (after == Some('学') || after.is_none_or(|c| !GOES_ON.contains(c)))
            {
                out.insert(format!("{n}{school}"));
            }
        }
    }
    out
}

/// Endings that name the same kind of place.
fn same_kind(a: &str, b: &str) -> bool {
    const ALIKE: [[&str; 2]; 10] = [
        ["酒吧", "清吧"],
        ["项目", "工地"],
        ["小学", "学校"],
        ["中学", "学校"],
        ["幼儿园", "学校"],
        ["市场", "菜场"],
        ["菜市场", "菜场"],
        ["农贸市场", "菜场"],
        ["农贸市场", "菜市场"],
        ["健身", "馆"],
    ];
    a == b
        || a == "小区"
        || b == "小区"
        || a.contains(b)
        || b.contains(a)
        || ALIKE
            .iter()
            .any(|pair| pair.contains(&a) && pair.contains(&b))
}

/// Whether each occurrence of `name` in `text` is followed by 新: 北坡新村
/// is a new village (or estate) beside 北坡村, not the same place.
fn newness(text: &str, name: &str) -> BTreeSet<bool> {
    text.match_indices(name)
        .map(|(at, _)| text[at + name.len()..].starts_with('新'))
        .collect()
}

/// Whether a name read in one text (`own_text`) is named in the other:
/// it occurs there, and as the same place: 北坡 of 北坡村 is not named in
/// 北坡新村, nor the other way round. A name the own text does not hold
/// (a respondent's) is named wherever it occurs.
pub fn name_named_in(name: &str, own_text: &str, other_text: &str) -> bool {
    let (mine, theirs) = (newness(own_text, name), newness(other_text, name));
    !theirs.is_empty() && (mine.is_empty() || !mine.is_disjoint(&theirs))
}

/// Whether `place` is named in the other text: its name occurs there (not
/// as a new place's: [`name_named_in`]) and is not the name of another
/// kind of place (实验中学 / 实验小学).
fn named_in(
    place: &Place,
    own_text: &str,
    other_text: &str,
    other_places: &BTreeSet<Place>,
) -> bool {
    let (name, ending) = place;
    name_named_in(name, own_text, other_text)
        && !other_places
            .iter()
            .any(|(n, e)| n == name && !same_kind(e, ending))
}

/// A slip of one character in a name with the same ending: 锦绣华庭 /
/// 锦秀华庭, 育才小学 / 育材小学; but not a direction or a number
/// (前沟村 ≠ 后沟村).
fn named_with_a_slip(place: &Place, other_places: &BTreeSet<Place>) -> bool {
    let (name, ending) = place;
    let mut mine = name.chars();
    let (m0, m1) = (mine.next(), mine.next());
    // 雪松园小区 / 白桦园小区 read as (松园, 小区) / (桦园, 小区): the
    // 园 they share is an ending, not part of a name.
    let of_a_name = |c: Option<char>| c.is_some_and(|c| !ENDING_CHARS.contains(c));
    // 前沟村 / 后沟村 differ in a direction: two villages, no slip.
    let apart = |p: Option<char>, q: Option<char>| {
        p != q && (p.is_some_and(marks_apart) || q.is_some_and(marks_apart))
    };
    other_places.iter().any(|(n, e)| {
        let mut theirs = n.chars();
        let (t0, t1) = (theirs.next(), theirs.next());
        e == ending
            && ((t0 == m0 && of_a_name(m0) && !apart(t1, m1))
                || (t1 == m1 && of_a_name(m1) && !apart(t0, m0)))
    })
}

/// Both name places of a kind and none of one is found in the other.
pub fn places_conflict(
    a: &BTreeSet<Place>,
    a_text: &str,
    b: &BTreeSet<Place>,
    b_text: &str,
) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let found = a
        .iter()
        .any(|p| named_in(p, a_text, b_text, b) || named_with_a_slip(p, b))
        || b.iter().any(|p| named_in(p, b_text, a_text, a));
    !found
}

/// Gates, blocks, sides and stretches of a road: 南门, B座, 东侧, 北段 →
/// 南, b, 东, 北; a side told as 东边 too (东边邻居 ≠ 西侧邻居), and the
/// end of a village (村南李某的养猪场 ≠ 村北赵家的).
pub fn gates(normalised: &str) -> BTreeSet<char> {
    let chars: Vec<char> = normalised.chars().collect();
    let side = |c: char| "东南西北abcdefg".contains(c);
    let two = chars
        .windows(2)
        .filter(|w| side(w[0]) && "门座口区侧段边".contains(w[1]))
        .map(|w| w[0]);
    // C出口, 北入口.
    let three = chars
        .windows(3)
        .filter(|w| side(w[0]) && "出入".contains(w[1]) && w[2] == '口')
        .map(|w| w[0]);
    // 村南 / 村北头: the end of a village a farm or a yard is at.
    let village = chars
        .windows(2)
        .filter(|w| w[0] == '村' && "东南西北".contains(w[1]))
        .map(|w| w[1]);
    two.chain(three).chain(village).collect()
}

/// Whether two complaints name a plate in common. A plate read from
/// normalised text may carry a neighbour: the province's letter (粤B·D5821
/// / D5821) or a numeral after it (粤B7K3Q2，一直 → b7k3q21), so one
/// plate of five or more characters inside the other is the same.
pub fn same_plate(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| {
            let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
            short.len() >= 5 && long.contains(short.as_str())
        })
    })
}

/// Vehicle plates: a run of Latin letters and digits with a letter and at
/// least three digits (东A·T2719 → at2719).
pub fn plates(normalised: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut run = String::new();
    // A run right after 车位 is the space's number (车位B2-086), no plate.
    let mut after_a_space = false;
    let mut flush = |run: &mut String, after_a_space: bool| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let letters = run.chars().filter(char::is_ascii_lowercase).count();
        if letters >= 1 && digits >= 3 && (5..=8).contains(&run.len()) && !after_a_space {
            out.insert(run.clone());
        }
        run.clear();
    };
    let mut previous = ' ';
    for c in normalised.chars() {
        if c.is_ascii_alphanumeric() {
            if run.is_empty() {
                after_a_space = previous == '位';
            }
            run.push(c);
        } else {
            flush(&mut run, after_a_space);
        }
        previous = c;
    }
    flush(&mut run, after_a_space);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duplicates::text::normalise;

    #[test]
    fn address_parts_are_read() {
        let t = normalise("阳光小区3栋2单元301室，金地花园三栋1502住户，12路车站");
        let p = address_parts(&t);
        assert_eq!(p["building"], BTreeSet::from([3]));
        assert_eq!(p["unit"], BTreeSet::from([2]));
        assert_eq!(p["room"], BTreeSet::from([301, 1502]));
        assert_eq!(p["route"], BTreeSet::from([12]));
    }

    #[test]
    fn roads_are_named_roads_only() {
        let t = normalise("西桥路与长安街路口的路灯不亮，晚上走路看不清");
        assert_eq!(
            roads(&t),
            BTreeSet::from(["西桥".to_string(), "长安".to_string()])
        );
    }

    #[test]
    fn a_road_is_found_without_its_ending_and_running_off_is_no_road() {
        let a = roads(&normalise("桃源路和凤栖路交叉口的红绿灯晚上全灭了"));
        assert!(road_named_in(&a, &normalise("桃源凤栖那个路口灯不亮")));
        assert!(!road_named_in(&a, &normalise("文昌路口的红绿灯坏了")));
        assert!(roads(&normalise("伊人美容跑路了，卡里还有五千")).is_empty());
    }

    #[test]
    fn places_of_one_kind_conflict_unless_one_is_found_in_the_other() {
        let a = normalise("实验中学食堂菜里有虫子");
        let b = normalise("实验小学食堂卫生差");
        let (pa, pb) = (
            named_places(&a, &VENUE_ENDINGS),
            named_places(&b, &VENUE_ENDINGS),
        );
        assert!(places_conflict(&pa, &a, &pb, &b));
        let c = normalise("锦秀华庭八栋的电梯又坏了");
        let d = normalise("锦绣华庭8栋电梯经常困人");
        let (pc, pd) = (
            named_places(&c, &ESTATE_ENDINGS),
            named_places(&d, &ESTATE_ENDINGS),
        );
        assert!(!places_conflict(&pc, &c, &pd, &d), "{pc:?} {pd:?}");
    }

    #[test]
    fn a_respondent_goes_by_its_name_without_prefix_or_common_words() {
        assert_eq!(
            respondent_name(&normalise("安家易房产经纪公司")).as_deref(),
            Some("安家")
        );
        assert_eq!(
            respondent_name(&normalise("北区征收办")).as_deref(),
            Some("征收")
        );
        assert_eq!(respondent_name(&normalise("东城区热力公司")), None);
        assert_eq!(respondent_name(&normalise("自来水公司")), None);
    }

    #[test]
    fn numbered_hospitals_and_schools_are_read_as_people_shorten_them() {
        let long = numbered_institutions(&normalise("在市第三人民医院挂号"));
        let short = numbered_institutions(&normalise("三院挂号太难了"));
        assert_eq!(long, BTreeSet::from(["3院".to_string()]));
        assert_eq!(long, short);
        assert!(numbered_institutions(&normalise("3号院门口")).is_empty());
        let school = |t: &str| {
            numbered_institutions(&normalise(t))
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(school("南区第三小学二年级"), ["3小"]);
        assert_eq!(school("三小那个班主任"), ["3小"]);
        assert_eq!(school("二中门口"), ["2中"]);
        assert!(school("等了三小时").is_empty());
        assert!(school("二中队的").is_empty());
    }

    #[test]
    fn a_market_named_for_a_town_gate_is_a_named_place() {
        let a = normalise("东门农贸市场的猪肉摊");
        let b = normalise("东门菜场十七号肉摊");
        let (pa, pb) = (
            named_places(&a, &VENUE_ENDINGS),
            named_places(&b, &VENUE_ENDINGS),
        );
        assert!(pa.iter().any(|(name, _)| name == "东门"), "{pa:?}");
        assert!(!places_conflict(&pa, &a, &pb, &b), "{pa:?} {pb:?}");
    }

    #[test]
    fn a_flat_after_the_estate_is_a_room_and_a_neighbours_is_not() {
        let p = address_parts(&normalise("我是嘉和苑1402的，楼上1502卫生间漏水"));
        assert_eq!(p["room"], BTreeSet::from([1402]));
        // 7-301 is a building and a room, not flat 7301.
        assert!(!address_parts(&normalise("御景园7-301申请了停供")).contains_key("room"));
    }

    #[test]
    fn a_plate_read_with_a_neighbour_is_the_same_plate() {
        let a = plates(&normalise("出租车粤B·D5821不打表"));
        let b = plates(&normalise("车牌D5821的的士"));
        let c = plates(&normalise("车牌粤B7K3Q2，一直没人挪"));
        let d = plates(&normalise("粤B·7K3Q2长期停在门口"));
        assert!(same_plate(&a, &b) && same_plate(&c, &d));
        assert!(!same_plate(&a, &d));
    }

    #[test]
    fn stretches_ring_roads_and_street_offices() {
        assert_eq!(
            gates(&normalise("兴业大道北段有好几个坑")),
            BTreeSet::from(['北'])
        );
        assert_eq!(
            roads(&normalise("友谊路和东三环路口的红绿灯坏了")),
            BTreeSet::from(["友谊".to_string(), "3环".to_string()])
        );
        assert!(roads(&normalise("交的公租房申请，街道一直说在审核")).is_empty());
        // A stretch: of so many kilometres, this one, the one by a school.
        assert!(roads(&normalise("村道约2公里路段坑洼严重")).is_empty());
        assert!(roads(&normalise(
            "人民桥至第三中学路段路灯不亮，该路段夜间行人较多"
        ))
        .is_empty());
        assert_eq!(
            roads(&normalise("学府路人行道上一棵大樟树歪了")),
            BTreeSet::from(["学府".to_string()])
        );
    }

    #[test]
    fn roads_apart_by_a_direction_or_number_are_not_a_slip() {
        let road = |t: &str| roads(&normalise(t));
        assert!(same_roads(&road("桃源路口"), &road("桃园路口")));
        assert!(!same_roads(
            &road("一品鲜东大街店"),
            &road("一品鲜西大街店")
        ));
        assert!(!same_roads(
            &road("和平大街邮局门口"),
            &road("和平二街菜场门口")
        ));
        // A road told with its direction on one side only is the same
        // road; two directions are two stretches.
        assert!(same_roads(&road("滨河东路望江桥"), &road("滨河路那一长溜")));
        assert!(!same_roads(&road("滨河东路望江桥"), &road("滨河西路菜场")));
    }

    #[test]
    fn li_ends_an_estate_only_before_its_parts() {
        let li = |t: &str| named_places(&normalise(t), &ESTATE_ENDINGS);
        assert!(li("梧桐里小区化粪池堵了").contains(&("梧桐".to_string(), "里")));
        assert!(!li("我们小区里有辆车").iter().any(|(_, e)| *e == "里"));
        assert_eq!(gates(&normalise("湖滨站C出口电梯")), BTreeSet::from(['c']));
    }

    #[test]
    fn a_new_village_is_another_place() {
        let (old, new) = (normalise("北坡村这两天停电"), normalise("北坡新村昨天停电"));
        assert!(!name_named_in("北坡", &old, &new));
        assert!(!name_named_in("北坡", &new, &old));
        assert!(name_named_in("北坡", &old, &normalise("北坡村又停电了")));
        let (village, other) = (
            named_places(&old, &VENUE_ENDINGS),
            named_places(&new, &VENUE_ENDINGS),
        );
        assert!(places_conflict(&village, &old, &other, &new));
    }

    #[test]
    fn a_direction_is_no_slip_in_a_village_name() {
        let (a, b) = (
            normalise("白马镇后沟村电压低"),
            normalise("白马镇前沟村电压偏低"),
        );
        let (pa, pb) = (
            named_places(&a, &VENUE_ENDINGS),
            named_places(&b, &VENUE_ENDINGS),
        );
        assert!(places_conflict(&pa, &a, &pb, &b));
    }

    #[test]
    fn the_whole_building_is_no_building_one() {
        assert!(address_parts(&normalise("那味儿还是很大，一栋楼的人都害怕")).is_empty());
        assert!(address_parts(&normalise("1栋2单元")).contains_key("building"));
    }

    #[test]
    fn the_village_is_no_villages_name() {
        let venues = |t: &str| named_places(&normalise(t), &VENUE_ENDINGS);
        assert!(venues("北区河西乡马庄村在确权时登记错了").contains(&("马庄".to_string(), "村")));
        assert!(!venues("乡里说要村里出证明，村里说要乡里先改系统")
            .iter()
            .any(|(_, e)| *e == "村"));
    }

    #[test]
    fn kinds_of_road_townships_and_home_are_no_names() {
        assert!(roads(&normalise("梅子坳村三组通组路硬化工程停工")).is_empty());
        assert!(roads(&normalise("组上的水泥路修了一半")).is_empty());
        assert!(roads(&normalise("鱼摊把水直接泼路上")).is_empty());
        let t = normalise("南岭县新桥乡上游宏发纸业");
        assert!(named_places(&t, &VENUE_ENDINGS).is_empty());
        let t = normalise("会计他丈母娘家里两层小楼");
        assert!(named_places(&t, &ESTATE_ENDINGS).is_empty());
        assert!(plates(&normalise("锦江苑地下车位（B2-086）被占")).is_empty());
        assert_ne!(
            gates(&normalise("松林村村南李某的养猪场")),
            gates(&normalise("松林村村北赵家新开了个养猪场"))
        );
    }

    #[test]
    fn plates_and_gates_are_read() {
        assert_eq!(
            plates(&normalise("车牌东A·T2719，司机绕路")),
            BTreeSet::from(["at2719".to_string()])
        );
        assert_eq!(
            gates(&normalise("滨江公园南门公厕")),
            BTreeSet::from(['南'])
        );
    }
}
