"""Replay a page reference string through page-replacement policies.

A reference string is a sequence of page names (any hashable: ints,
strings, tuples). Each policy below holds at most `frames` pages and is
asked about one reference at a time; a reference to a page it does not
hold is a fault, after which it holds the page, evicting one when full.

  opt      Belady's OPT (MIN): evict the page whose next use is farthest
           away (never used again counts as infinitely far). No policy
           faults less on the same string and frames: the yardstick.
  lru      evict the page used least recently.
  fifo     evict the page that came in first (the kernel's reclaim=fifo).
  clock    one-handed clock, second chance, exactly as kernel/mm/reclaim.c
           does it: frames on one list in the order they came in, new ones
           at the back (just behind the hand) with their referenced bit
           set, because the access that faulted sets PTE_A as soon as the
           process runs again; the victim search takes the front frame: a
           referenced one has its bit cleared and goes to the back, the
           first one not referenced is evicted.
  twolist  the kernel's reclaim=twolist (kernel/mm/twolist.c): the clock
           split in an inactive and an active list, see TwoList.

Faults are counted with and without the cold ones (a page's first
reference, which no policy avoids: for the kernel, a fresh zero-filled
page, not a swap-in). The kernel's swap-ins compare with the warm faults.

Python 3 standard library only.
"""

import heapq
from collections import OrderedDict, deque


class Policy:
    """What every policy has: the frames and the pages it holds."""

    name = "?"

    def __init__(self, frames):
        if frames < 1:
            raise ValueError("a policy needs at least one frame")
        self.frames = frames

    def access(self, page, pos):
        """Reference page at position pos of the string; True on a hit."""
        raise NotImplementedError


class Fifo(Policy):
    name = "fifo"

    def __init__(self, frames):
        super().__init__(frames)
        self.order = deque()
        self.held = set()

    def access(self, page, pos):
        if page in self.held:
            return True
        if len(self.held) >= self.frames:
            self.held.discard(self.order.popleft())
        self.order.append(page)
        self.held.add(page)
        return False


class Lru(Policy):
    name = "lru"

    def __init__(self, frames):
        super().__init__(frames)
        self.held = OrderedDict()       # least recently used first

    def access(self, page, pos):
        if page in self.held:
            self.held.move_to_end(page)
            return True
        if len(self.held) >= self.frames:
            self.held.popitem(last=False)
        self.held[page] = True
        return False


class Referenced(Policy):
    """A policy that sees only the referenced bit (PTE_A) of each page it
    holds, as the kernel does: a hit sets the bit; a fault evicts a page
    when all frames are held (evict()), then takes the page in (admit())
    with its bit set, since the faulting access sets PTE_A as soon as the
    process runs again."""

    def __init__(self, frames):
        super().__init__(frames)
        self.ref = {}                   # page -> referenced bit (PTE_A)

    def access(self, page, pos):
        if page in self.ref:
            self.ref[page] = True
            return True
        if len(self.ref) >= self.frames:
            self.evict()
        self.admit(page)
        self.ref[page] = True
        return False

    def admit(self, page):
        """Take page in after a fault (before its bit is set)."""
        raise NotImplementedError

    def evict(self):
        """Drop one page (and its bit); returns it."""
        raise NotImplementedError


class Clock(Referenced):
    """Second chance over one list, as kernel/mm/reclaim.c runs it."""

    name = "clock"

    def __init__(self, frames):
        super().__init__(frames)
        self.order = deque()            # the LRU list: front = the hand

    def admit(self, page):
        self.order.append(page)

    def evict(self):
        while True:
            page = self.order.popleft()
            if self.ref[page]:
                self.ref[page] = False  # second chance: to the back
                self.order.append(page)
            else:
                del self.ref[page]
                return page


class TwoList(Referenced):
    """Two lists, as kernel/mm/twolist.c runs them.

    New pages go to the back of the inactive list. The victim search looks
    at the front of the inactive list: a page not referenced since it came
    in (or since the last look) is the victim. A referenced page is
    promoted to the back of the active list, except on its first look: a
    page's first reference is the fault that brought it in, so a page
    that is still new is only given a second chance in the inactive list.
    A page that faults in again soon after its eviction (a refault: it
    was evicted among the last `frames` evictions) counts as used twice
    already: it skips that rule and joins the active list at once.

    The active list is aged by one look per eviction: its front page goes
    to the back if referenced, else down to the inactive list. It may
    hold at most frames - frames // INACTIVE_SHARE pages; beyond that its
    front page goes down, referenced or not.

    Why it fixes the clock's all-referenced case: a page that every sweep
    finds referenced (a hot page) is in the active list, and the victims
    come from the inactive list, which holds new pages and pages that
    have not been used twice; when all were referenced, the clock evicts
    in FIFO order and loses the hot pages with the rest.
    """

    name = "twolist"
    INACTIVE_SHARE = 8      # the inactive list keeps >= 1/8 of the frames
    WINDOW = 2              # a refault: evicted among the last WINDOW * frames

    def __init__(self, frames):
        super().__init__(frames)
        self.inactive = deque()
        self.active = deque()
        self.state = {}             # page -> "new", "inactive", "active"
        self.evicted = {}           # page -> eviction count when evicted
        self.nevict = 0
        self.max_active = max(frames - frames // self.INACTIVE_SHARE - 1, 0)

    def admit(self, page):
        stamp = self.evicted.pop(page, None)
        refault = stamp is not None and self.nevict - stamp <= self.WINDOW * self.frames
        if refault and len(self.active) < self.max_active:
            self.state[page] = "active"
            self.active.append(page)
        else:
            self.state[page] = "new"
            self.inactive.append(page)

    def age_active(self, force):
        """One look at the front of the active list."""
        page = self.active.popleft()
        if self.ref[page] and not force:
            self.ref[page] = False
            self.active.append(page)
        else:
            self.ref[page] = False
            self.state[page] = "inactive"
            self.inactive.append(page)

    def evict(self):
        while True:
            while not self.inactive or len(self.active) > self.max_active:
                self.age_active(not self.inactive)
            page = self.inactive.popleft()
            if not self.ref[page]:
                break
            self.ref[page] = False
            if self.state[page] == "new":
                self.state[page] = "inactive"
                self.inactive.append(page)
            else:
                self.state[page] = "active"
                self.active.append(page)
        del self.ref[page], self.state[page]
        self.nevict += 1
        self.evicted[page] = self.nevict
        if len(self.evicted) > 4 * self.frames:     # forget the oldest
            for old in [p for p, s in self.evicted.items()
                        if self.nevict - s > self.WINDOW * self.frames]:
                del self.evicted[old]
        return page


class Opt(Policy):
    """Belady's MIN. Needs the whole string up front (prepare())."""

    name = "opt"

    def __init__(self, frames):
        super().__init__(frames)
        self.next_use = []
        self.held = {}              # page -> position of its next use
        self.heap = []              # (-next use, page), stale entries skipped

    def prepare(self, refs):
        """next_use[i]: the position of the next reference to refs[i]."""
        never = len(refs)
        last = {}
        self.next_use = [never] * len(refs)
        for i in range(len(refs) - 1, -1, -1):
            self.next_use[i] = last.get(refs[i], never + i)
            last[refs[i]] = i

    def access(self, page, pos):
        nxt = self.next_use[pos]
        hit = page in self.held
        if not hit and len(self.held) >= self.frames:
            while True:
                far, victim = heapq.heappop(self.heap)
                if self.held.get(victim) == -far:
                    del self.held[victim]
                    break
        self.held[page] = nxt
        # Pages never used again get distinct "next uses" past the end,
        # so that the heap never compares two page names.
        heapq.heappush(self.heap, (-nxt, page))
        return hit


POLICIES = {p.name: p for p in (Opt, Lru, Fifo, Clock, TwoList)}
ORDER = ["opt", "lru", "clock", "fifo", "twolist"]


class Result:
    """Faults of one policy on one string: all, warm (not a page's first
    reference), and the positions of the warm ones (for timelines)."""

    def __init__(self, name, frames):
        self.name, self.frames = name, frames
        self.faults = self.warm = 0
        self.warm_at = []

    def __repr__(self):
        return "%s(%d frames): %d faults, %d warm" % (
            self.name, self.frames, self.faults, self.warm)


def simulate(refs, frames, policy, keep_positions=False):
    """Replay refs (a list) with `frames` frames through the policy named
    `policy`; returns a Result."""
    refs = list(refs)
    pol = POLICIES[policy](frames)
    if isinstance(pol, Opt):
        pol.prepare(refs)
    res = Result(policy, frames)
    seen = set()
    for pos, page in enumerate(refs):
        if pol.access(page, pos):
            continue
        res.faults += 1
        if page in seen:
            res.warm += 1
            if keep_positions:
                res.warm_at.append(pos)
        else:
            seen.add(page)
    return res


def faults(refs, frames, policy):
    """Shorthand: the number of faults, cold ones included."""
    return simulate(refs, frames, policy).faults


def main(argv=None):
    """sim.py FRAMES PAGE...: faults of every policy on a string given on
    the command line."""
    import sys
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print("usage: sim.py FRAMES PAGE...")
        return 2
    frames, refs = int(argv[0]), argv[1:]
    for name in ORDER:
        r = simulate(refs, frames, name)
        print("%-8s %6d faults %6d warm" % (name, r.faults, r.warm))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
