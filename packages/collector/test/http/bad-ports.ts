// Test helper: ports of the fetch standard's bad-port list that a user may give a collector or a
// dashboard (no privileges needed): Node's fetch refuses to call them ("bad port"), so what the
// collector sends must not go through fetch.

export const BAD_PORTS = [6000, 6665, 6666, 6667, 6668, 6669, 10080, 5060, 5061, 6566, 6679, 6697, 4190, 4045, 3659, 2049, 1719, 1720, 1723];
