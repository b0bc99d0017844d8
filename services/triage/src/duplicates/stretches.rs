//! Stretches of a road told by their ends (从建材市场到五号桥这一段, 王楼村到镇上
//! 的路): two complaints that each name a stretch, and no stretch with the
//! same ends, are about other stretches, though they name the same road.
//! Read from normalised text (Arabic digits, no punctuation).

/// A stretch: the words before 到 (where it starts) and after it (where it
/// ends), each up to a few characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stretch {
    from: String,
    to: String,
}

/// How far before and after 到 the ends of a stretch are read.
const END_CHARS: usize = 6;

/// What follows the far end of a stretch (这一段 is 这1段 once normalised).
const STRETCH_WORDS: [&str; 10] = [
    "那1段", "这1段", "那段", "这段", "1段", "段", "那1条", "那条", "这条", "的路",
];

/// Characters that end the near end of a stretch, read backwards from 到:
/// 从 (from) and the words around a place.
const BEFORE_AN_END: &str = "从在是的了说那这把将我其";

/// The stretches a normalised text names.
pub fn stretches(normalised: &str) -> Vec<Stretch> {
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '到') {
        let Some(to) = far_end(&chars[at + 1..]) else {
            continue;
        };
        let from: String = chars[at.saturating_sub(END_CHARS)..at]
            .iter()
            .rev()
            .take_while(|c| !BEFORE_AN_END.contains(**c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if from.chars().count() >= 2 {
            out.push(Stretch { from, to });
        }
    }
    out
}

/// The far end of a stretch: the characters after 到 up to the word that
/// makes it a stretch (那段, 的路…), when one follows within a few.
fn far_end(after: &[char]) -> Option<String> {
    (2..=END_CHARS.min(after.len())).find_map(|len| {
        let end: String = after[..len].iter().collect();
        let rest: String = after[len..].iter().take(3).collect();
        STRETCH_WORDS
            .iter()
            .any(|w| rest.starts_with(w))
            .then_some(end)
    })
}

/// Whether two ends name the same place: they share two characters in a
/// row (第2中学 / 2中, 五号桥 / 5号桥).
fn same_end(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: String = b.to_owned();
    a.windows(2)
        .any(|w| b.contains(&w.iter().collect::<String>()))
}

impl Stretch {
    /// The same stretch, told either way round.
    fn same(&self, other: &Stretch) -> bool {
        (same_end(&self.from, &other.from) && same_end(&self.to, &other.to))
            || (same_end(&self.from, &other.to) && same_end(&self.to, &other.from))
    }
}

/// Both name stretches, and none of one is a stretch of the other.
pub fn stretches_conflict(a: &[Stretch], b: &[Stretch]) -> bool {
    !a.is_empty() && !b.is_empty() && !a.iter().any(|x| b.iter().any(|y| x.same(y)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duplicates::text::normalise;

    fn of(raw: &str) -> Vec<Stretch> {
        stretches(&normalise(raw))
    }

    #[test]
    fn stretches_are_read_by_their_ends() {
        assert_eq!(
            of("北辰路从建材市场到五号桥这一段路灯全不亮"),
            vec![Stretch {
                from: "建材市场".into(),
                to: "5号桥".into()
            }]
        );
        assert_eq!(of("王楼村到镇上的路让大车压坏了").len(), 1);
        // Times and "until now" are no stretches.
        assert!(of("每天早上7点20到8点门口堵死").is_empty());
        assert!(of("到现在还没修").is_empty());
    }

    #[test]
    fn other_ends_are_another_stretch_and_the_same_told_otherwise_is_not() {
        let a = of("光明路邮局到第二中学那段路灯都不亮");
        assert!(stretches_conflict(
            &a,
            &of("光明路东头菜市场到河边那一段路灯不亮")
        ));
        assert!(!stretches_conflict(
            &a,
            &of("光明路从邮局到二中那段还是黑的")
        ));
        assert!(!stretches_conflict(&a, &of("二中到邮局那段路灯")));
        assert!(stretches_conflict(
            &of("王楼村到镇上的路，让大车压坏了"),
            &of("王楼村到李楼村那条生产路也叫大车压烂了")
        ));
        assert!(!stretches_conflict(&a, &of("光明路的路灯不亮")));
    }
}
