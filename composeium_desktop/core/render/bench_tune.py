"""A 32-bar reel with chord symbols, repeats and endings: the render benchmark's input."""

BENCH_TUNE = """X:1
T:The Benchmark Reel
C:Composeium
R:reel
M:4/4
L:1/8
Q:1/4=110
K:D
|:"D"A2FA DAFA|"G"B2GB "D"AFDF|"D"A2FA DAFA|"Em"GFEF "A"GABc|
"D"d2fd "A"cAeA|"G"B2GB "D"AFDF|"G"GABc "A"dcBA|1"D"FDEC D4:|2"D"FDEC D2 (3ABc||
|:"D"d2fd adfd|"G"g2bg "D"fdad|"D"d2fd adfd|"Em"egfe "A"dcBA|
"D"d2fd "A"cAeA|"G"B2GB "D"AFDF|"G"GABc "A"dcBA|1"D"FDEC D2 (3ABc:|2"D"FDEC D4||
|:"D"FAdA FAdA|"G"GBdB GBdB|"A"Acec Acec|"D"dfaf "A"ecAc|
"D"FAdA FAdA|"G"GBdB "Em"GBdB|"A"ABcd efge|"D"f2d2 d4:|
|:"Bm"fbbf "F#m"afaf|"G"gbbg "D"fafd|"Em"edef "A"gfed|"D"cdeg "A"fedc|
"Bm"fbbf "F#m"afaf|"G"gbbg "D"fafd|"Em"edef "A"gfec|"D"d6 z2:|
"""
