"""A small real-ish Python program for the committed timeline capture:
parses a standard-library module into an AST (trees of acyclic nodes),
keeps a doubly linked LRU cache (cycles that stay) and drops parent-linked
trees (cycles that become garbage)."""
import ast
import inspect
import json


class Node:
    def __init__(self, value, parent=None):
        self.value, self.parent, self.children = value, parent, []


def tree(depth, parent=None):
    n = Node(depth, parent)
    if depth:
        n.children = [tree(depth - 1, n) for _ in range(2)]
    return n


class Entry:
    def __init__(self, key):
        self.key, self.prev, self.next = key, None, None


source = inspect.getsource(json.decoder)
kept = []
head = Entry(None)
head.prev = head.next = head
for i in range(7):
    t = ast.parse(source)
    if i % 3 == 0:
        kept.append(t)
    garbage = tree(6)  # 127 parent-linked nodes: garbage at the next turn
    e = Entry(i)
    e.prev, e.next = head, head.next
    head.next.prev = e
    head.next = e
print(len(kept), sum(1 for _ in ast.walk(kept[0])))
