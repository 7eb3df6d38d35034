"""Demo cities: a Stockholm district administration (profile stockholm_ils) and
Malmö's service administration (profile malmo_2023), loaded by `malkoll demo`;
and the large generated city for benchmarks (`malkoll generate`)."""
