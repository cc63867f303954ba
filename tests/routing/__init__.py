# The routing targets of DESIGN.md's team taxonomy, in its order (and teams.yml's).
DESIGN_IDS = [
    "burgerzaken", "belastingen", "afval", "openbare_ruimte", "parkeren", "vergunningen", "zorg_welzijn",
    "werk_inkomen", "handhaving", "wonen", "klachten_bezwaar", "klantcontact", "belastingdienst", "uwv",
    "svb", "duo", "rdw", "politie", "crisis",
]  # fmt: skip
