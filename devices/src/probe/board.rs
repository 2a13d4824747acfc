//! Board recognition from its files: NVIDIA Jetson (L4T, nvpmodel),
//! Raspberry Pi (device-tree model, cpuinfo revision), or a named other board.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fs::{at, read_text, read_trimmed};

/// The kind of board, where its files say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Board {
    /// An NVIDIA Jetson module (Tegra SoC running Linux for Tegra).
    Jetson {
        /// Device-tree model, e.g. "NVIDIA Jetson AGX Orin Developer Kit".
        model: Option<String>,
        /// L4T release from /etc/nv_tegra_release, e.g. "36.3.0".
        l4t_release: Option<String>,
        /// The nvpmodel power mode, best effort.
        nvpmodel_mode: Option<NvpmodelMode>,
    },
    /// A Raspberry Pi.
    RaspberryPi {
        /// Model string, e.g. "Raspberry Pi 5 Model B Rev 1.0".
        model: String,
        /// Revision code from /proc/cpuinfo, e.g. "d04170".
        revision: Option<String>,
    },
    /// A board that names itself but is neither of the above.
    Other {
        /// What it calls itself, e.g. "Dell Inc. XPS 13 9310".
        model: String,
        /// The file the name came from.
        source: String,
    },
    /// Nothing under the root identifies the board.
    NotDetected,
}

/// A Jetson power mode and how it was determined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvpmodelMode {
    /// Mode id, as `nvpmodel -m <id>` takes it.
    pub id: u32,
    /// The mode's name from /etc/nvpmodel.conf's POWER_MODEL lines, e.g. "MAXN".
    pub name: Option<String>,
    /// The boot default from `< PM_CONFIG DEFAULT=N >`.
    pub default_id: Option<u32>,
    /// Where `id` was read.
    pub determined_by: NvpmodelSource,
}

/// Where an nvpmodel mode was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NvpmodelSource {
    /// /var/lib/nvpmodel/status ("pmode:0002"), written by nvpmodel when it
    /// sets a mode: the mode in force.
    StatusFile,
    /// No status file, so the boot default from /etc/nvpmodel.conf; the mode in
    /// force differs if something changed it without leaving a status file.
    ConfigDefault,
}

impl NvpmodelSource {
    /// One line saying what this source means, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            NvpmodelSource::StatusFile => "active mode, from /var/lib/nvpmodel/status",
            NvpmodelSource::ConfigDefault => {
                "boot default from /etc/nvpmodel.conf (no /var/lib/nvpmodel/status)"
            }
        }
    }
}

/// Recognises the board under `root`.
pub(crate) fn probe_board(root: &Path) -> Board {
    let dt_model = [
        "/proc/device-tree/model",
        "/sys/firmware/devicetree/base/model",
    ]
    .iter()
    .find_map(|p| read_trimmed(&at(root, p)).map(|m| (m, *p)));
    let compatible = [
        "/proc/device-tree/compatible",
        "/sys/firmware/devicetree/base/compatible",
    ]
    .iter()
    .find_map(|p| read_text(&at(root, p)))
    .unwrap_or_default();
    let cpuinfo = read_text(&at(root, "/proc/cpuinfo")).unwrap_or_default();
    let tegra_release = read_trimmed(&at(root, "/etc/nv_tegra_release"));

    let model = dt_model.as_ref().map(|(m, _)| m.clone());
    let is_jetson = tegra_release.is_some()
        || model.as_deref().is_some_and(|m| m.contains("Jetson"))
        // compatible is a NUL-separated list such as "nvidia,p3737-0000\0nvidia,tegra234\0".
        || compatible.split('\0').any(|c| c.starts_with("nvidia,tegra"));
    if is_jetson {
        return Board::Jetson {
            model,
            l4t_release: tegra_release.as_deref().and_then(parse_l4t_release),
            nvpmodel_mode: nvpmodel_mode(root),
        };
    }

    // In a container /proc/device-tree may be hidden while cpuinfo still has
    // the Pi's "Model" line.
    let pi_model = model
        .clone()
        .filter(|m| m.starts_with("Raspberry Pi"))
        .or_else(|| cpuinfo_field(&cpuinfo, "Model").filter(|m| m.starts_with("Raspberry Pi")));
    if let Some(model) = pi_model {
        return Board::RaspberryPi {
            model,
            revision: cpuinfo_field(&cpuinfo, "Revision"),
        };
    }

    if let Some((model, source)) = dt_model {
        return Board::Other {
            model,
            source: source.to_string(),
        };
    }
    // x86: DMI names the machine.
    let dmi = |f: &str| read_trimmed(&at(root, &format!("/sys/class/dmi/id/{f}")));
    if let Some(product) = dmi("product_name") {
        let model = match dmi("sys_vendor") {
            Some(vendor) if !product.starts_with(&vendor) => format!("{vendor} {product}"),
            _ => product,
        };
        return Board::Other {
            model,
            source: "/sys/class/dmi/id".to_string(),
        };
    }
    Board::NotDetected
}

/// "# R36 (release), REVISION: 3.0, GCID: ..." -> "36.3.0".
pub(crate) fn parse_l4t_release(text: &str) -> Option<String> {
    let line = text
        .lines()
        .find(|l| l.contains("REVISION") || l.contains("(release)"))?;
    // The first "R" followed by digits: "R36".
    let major = line.char_indices().find_map(|(i, c)| {
        let digits: String = line[i + c.len_utf8()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (c == 'R' && !digits.is_empty()).then_some(digits)
    })?;
    let revision = line
        .split(',')
        .find_map(|part| part.trim().strip_prefix("REVISION:"))
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit() || c == '.'));
    Some(match revision {
        Some(rev) => format!("{major}.{rev}"),
        None => major,
    })
}

/// A "Key<TAB>: value" line of /proc/cpuinfo.
fn cpuinfo_field(cpuinfo: &str, key: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key)
            .then(|| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

pub(crate) fn nvpmodel_mode(root: &Path) -> Option<NvpmodelMode> {
    let conf = read_text(&at(root, "/etc/nvpmodel.conf")).unwrap_or_default();
    let (names, default_id) = parse_nvpmodel_conf(&conf);
    let status =
        read_text(&at(root, "/var/lib/nvpmodel/status")).and_then(|s| parse_nvpmodel_status(&s));
    let (id, determined_by) = match (status, default_id) {
        (Some(id), _) => (id, NvpmodelSource::StatusFile),
        (None, Some(id)) => (id, NvpmodelSource::ConfigDefault),
        (None, None) => return None,
    };
    Some(NvpmodelMode {
        id,
        name: names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()),
        default_id,
        determined_by,
    })
}

/// The (id, name) pairs of `< POWER_MODEL ID=0 NAME=MAXN >` lines and the
/// `< PM_CONFIG DEFAULT=N >` id.
pub(crate) fn parse_nvpmodel_conf(conf: &str) -> (Vec<(u32, String)>, Option<u32>) {
    let mut names = Vec::new();
    let mut default_id = None;
    for line in conf.lines() {
        let Some(inner) = line
            .trim()
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix('>'))
        else {
            continue;
        };
        let mut words = inner.split_whitespace();
        let kind = words.next();
        let attr = |words: std::str::SplitWhitespace<'_>, key: &str| {
            words
                .clone()
                .find_map(|w| w.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
        };
        match kind {
            Some("POWER_MODEL") => {
                let id = attr(words.clone(), "ID").and_then(|i| i.parse().ok());
                if let (Some(id), Some(name)) = (id, attr(words, "NAME")) {
                    names.push((id, name));
                }
            }
            Some("PM_CONFIG") => {
                default_id = attr(words, "DEFAULT").and_then(|d| d.parse().ok());
            }
            _ => {}
        }
    }
    (names, default_id)
}

/// "pmode:0002\nfmode:quiet" -> 2.
pub(crate) fn parse_nvpmodel_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.trim().strip_prefix("pmode:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l4t_release_strings() {
        let s = "# R36 (release), REVISION: 3.0, GCID: 36191598, BOARD: generic, EABI: aarch64, DATE: Mon May  6 17:34:21 UTC 2024";
        assert_eq!(parse_l4t_release(s).as_deref(), Some("36.3.0"));
        let s = "# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64";
        assert_eq!(parse_l4t_release(s).as_deref(), Some("35.4.1"));
        assert_eq!(
            parse_l4t_release("# R32 (release), GCID: 1").as_deref(),
            Some("32")
        );
        assert_eq!(parse_l4t_release("garbage"), None);
        assert_eq!(parse_l4t_release(""), None);
    }

    #[test]
    fn nvpmodel_conf_and_status() {
        let conf = "< POWER_MODEL ID=0 NAME=MAXN >\nCPU_ONLINE CORE_0 1\n\
                    < POWER_MODEL ID=1 NAME=MODE_15W >\n< PM_CONFIG DEFAULT=1 >\n";
        let (names, default) = parse_nvpmodel_conf(conf);
        assert_eq!(names, vec![(0, "MAXN".into()), (1, "MODE_15W".into())]);
        assert_eq!(default, Some(1));
        assert_eq!(parse_nvpmodel_status("pmode:0002\nfmode:quiet\n"), Some(2));
        assert_eq!(parse_nvpmodel_status("pmode:0000"), Some(0));
        assert_eq!(parse_nvpmodel_status("pmode:x"), None);
        assert_eq!(parse_nvpmodel_conf("<>\n< PM_CONFIG DEFAULT= >").1, None);
    }

    #[test]
    fn cpuinfo_fields() {
        let c = "processor\t: 0\nRevision\t: d04170\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n";
        assert_eq!(cpuinfo_field(c, "Revision").as_deref(), Some("d04170"));
        assert_eq!(
            cpuinfo_field(c, "Model").as_deref(),
            Some("Raspberry Pi 5 Model B Rev 1.0")
        );
        assert_eq!(cpuinfo_field(c, "Serial"), None);
    }
}
