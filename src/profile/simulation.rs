//! One run under valgrind's cachegrind (`--simulate`): the simulated event totals of the whole tree and what they were simulated with.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

/// Cachegrind's nine events, summed over every process of the run (one output file each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Events {
    /// Instructions executed.
    #[serde(rename = "Ir")]
    pub ir: u64,
    /// Instruction fetches that missed the L1 instruction cache.
    #[serde(rename = "I1mr")]
    pub i1mr: u64,
    /// Instruction fetches that missed the last-level cache.
    #[serde(rename = "ILmr")]
    pub ilmr: u64,
    /// Data reads.
    #[serde(rename = "Dr")]
    pub dr: u64,
    /// Data reads that missed L1.
    #[serde(rename = "D1mr")]
    pub d1mr: u64,
    /// Data reads that missed the last-level cache.
    #[serde(rename = "DLmr")]
    pub dlmr: u64,
    /// Data writes.
    #[serde(rename = "Dw")]
    pub dw: u64,
    /// Data writes that missed L1.
    #[serde(rename = "D1mw")]
    pub d1mw: u64,
    /// Data writes that missed the last-level cache.
    #[serde(rename = "DLmw")]
    pub dlmw: u64,
}

impl Events {
    /// The counter of a cachegrind event name.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut u64> {
        Some(match name {
            "Ir" => &mut self.ir,
            "I1mr" => &mut self.i1mr,
            "ILmr" => &mut self.ilmr,
            "Dr" => &mut self.dr,
            "D1mr" => &mut self.d1mr,
            "DLmr" => &mut self.dlmr,
            "Dw" => &mut self.dw,
            "D1mw" => &mut self.d1mw,
            "DLmw" => &mut self.dlmw,
            _ => return None,
        })
    }

    /// Accesses that missed L1 (instruction fetches, data reads and writes).
    pub fn l1_misses(&self) -> u64 {
        self.i1mr + self.d1mr + self.d1mw
    }

    /// Accesses that missed the last level too: served by RAM.
    pub fn ll_misses(&self) -> u64 {
        self.ilmr + self.dlmr + self.dlmw
    }

    /// Estimated cycles, as iai-callgrind estimates them (after Itamar Turner-Trauring,
    /// pythonspeed.com/articles/consistent-benchmarking-in-ci/): L1 hits + 5 × LL hits + 35 × RAM hits.
    pub fn cycles(&self) -> u64 {
        let accesses = self.ir + self.dr + self.dw;
        let ram = self.ll_misses();
        // Cachegrind's LL is inclusive, so a RAM access also missed L1; saturate for hand-made files.
        let ll_hits = self.l1_misses().saturating_sub(ram);
        let l1_hits = accesses.saturating_sub(self.l1_misses());
        l1_hits + 5 * ll_hits + 35 * ram
    }
}

/// The simulated run of one command.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Simulation {
    /// `cachegrind`.
    #[serde(default)]
    pub tool: String,
    /// `valgrind --version`: counts are comparable between equal versions only.
    #[serde(default)]
    pub valgrind_version: String,
    /// The simulated caches, as cachegrind's options take them (`size,associativity,line size`).
    #[serde(default)]
    pub caches: Caches,
    /// Processes counted (cachegrind's output files summed).
    #[serde(default)]
    pub processes: u64,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub events: Events,
}

/// The cache geometry given to cachegrind (fixed, so that counts do not depend on the host's caches).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caches {
    #[serde(rename = "I1", default)]
    pub i1: String,
    #[serde(rename = "D1", default)]
    pub d1: String,
    #[serde(rename = "LL", default)]
    pub ll: String,
}

impl Serialize for Simulation {
    /// The record, then the four derived metrics by their names (for readers of the file; denet
    /// recomputes them from the events).
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let e = &self.events;
        let mut map = ser.serialize_map(None)?;
        map.serialize_entry("tool", &self.tool)?;
        map.serialize_entry("valgrind_version", &self.valgrind_version)?;
        map.serialize_entry("caches", &self.caches)?;
        map.serialize_entry("processes", &self.processes)?;
        map.serialize_entry("exit_code", &self.exit_code)?;
        map.serialize_entry("events", e)?;
        map.serialize_entry("sim_instructions", &e.ir)?;
        map.serialize_entry("sim_l1_misses", &e.l1_misses())?;
        map.serialize_entry("sim_ll_misses", &e.ll_misses())?;
        map.serialize_entry("sim_cycles", &e.cycles())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_follow_iai_callgrinds_estimate() {
        // 100 instructions, 20 reads, 10 writes: 130 accesses; 6 L1 misses of which 2 went to RAM.
        let e = Events { ir: 100, i1mr: 3, ilmr: 1, dr: 20, d1mr: 2, dlmr: 1, dw: 10, d1mw: 1, dlmw: 0 };
        assert_eq!((e.l1_misses(), e.ll_misses()), (6, 2));
        // L1 hits 124, LL hits 4, RAM hits 2.
        assert_eq!(e.cycles(), 124 + 5 * 4 + 35 * 2);
    }

    #[test]
    fn the_file_holds_the_events_and_the_derived_metrics() {
        let sim = Simulation { events: Events { ir: 7, ..Events::default() }, ..Simulation::default() };
        let v = serde_json::to_value(&sim).unwrap();
        assert_eq!((v["events"]["Ir"].as_u64(), v["sim_instructions"].as_u64()), (Some(7), Some(7)));
        let back: Simulation = serde_json::from_value(v).unwrap();
        assert_eq!(back, sim);
    }
}
