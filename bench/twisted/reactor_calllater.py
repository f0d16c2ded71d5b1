"""callLater on the running reactor: schedule + fire, or schedule + cancel.

Modes (mirroring bench/cmd/sidebyside/reactor_workloads.go):
  fire    -batch B: a reactor turn schedules B zero-delay calls; the next turn
          runs them, and the last one schedules the next batch. B=1 makes every
          call cost a full reactor turn.
  cancel  -batch B: a reactor turn schedules B calls an hour away and cancels
          each at once, then yields one turn (so the reactor drops them).
"""

from twisted.internet import reactor

import common


def extra(p):
    p.add_argument("mode", choices=["fire", "cancel"])
    p.add_argument("-batch", type=int, default=1000)


def fire_sample(batch):
    def start(n, done):
        state = {"left": n, "in_batch": 0}
        t0 = common.now_ns()

        def fire():
            state["left"] -= 1
            state["in_batch"] -= 1
            if state["left"] == 0:
                done(common.now_ns() - t0)
            elif state["in_batch"] == 0:
                schedule_batch()

        def schedule_batch():
            k = min(batch, state["left"])
            state["in_batch"] = k
            callLater = reactor.callLater
            for _ in range(k):
                callLater(0, fire)

        schedule_batch()

    return start


def nothing():
    pass


def cancel_sample(batch):
    def start(n, done):
        state = {"left": n}
        t0 = common.now_ns()

        def run_batch():
            k = min(batch, state["left"])
            callLater = reactor.callLater
            for _ in range(k):
                callLater(3600, nothing).cancel()
            state["left"] -= k
            if state["left"] == 0:
                done(common.now_ns() - t0)
            else:
                callLater(0, run_batch)

        run_batch()

    return start


def main():
    args = common.parse_args(__doc__, extra)
    if args.batch < 1:
        raise SystemExit("-batch must be at least 1")
    start = fire_sample(args.batch) if args.mode == "fire" else cancel_sample(args.batch)
    common.emit(common.sample_in_reactor(args.n, args.samples, start))


if __name__ == "__main__":
    main()
