//! The shape of the trees: how many nodes, and how many children each has.

use std::ops::Range;

/// A tree of `size` nodes numbered breadth first from the root (node 0), where every node has
/// `fan_out` children until the nodes run out: the children of node `n` are `n * fan_out + 1`
/// to `n * fan_out + fan_out`.
///
/// ```
/// use ginkgo_bench::cases::tree::Shape;
///
/// let shape = Shape { size: 10_000, fan_out: 10 };
/// assert_eq!(shape.children(0), 1..11);
/// assert_eq!(shape.children(999), 9991..10_000);
/// assert!(shape.children(1_000).is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// How many nodes the tree has, the root included.
    pub size: usize,
    /// How many children a node has, at most.
    pub fan_out: usize,
}

impl Shape {
    /// The children of `node`.
    pub fn children(&self, node: usize) -> Range<usize> {
        let first = (node * self.fan_out + 1).min(self.size);
        let end = (node * self.fan_out + 1 + self.fan_out).min(self.size);
        first..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_but_the_root_has_one_parent() {
        let shape = Shape { size: 10_000, fan_out: 10 };
        let mut parents = vec![0; shape.size];
        for node in 0..shape.size {
            for child in shape.children(node) {
                parents[child] += 1;
            }
        }
        assert_eq!(parents[0], 0);
        assert!(parents[1..].iter().all(|&p| p == 1));
    }

    #[test]
    fn ten_thousand_nodes_are_five_levels() {
        let shape = Shape { size: 10_000, fan_out: 10 };
        let mut level = vec![0];
        let mut sizes = Vec::new();
        while !level.is_empty() {
            sizes.push(level.len());
            level = level.iter().flat_map(|&n| shape.children(n)).collect();
        }
        assert_eq!(sizes, [1, 10, 100, 1_000, 8_889]);
    }
}
