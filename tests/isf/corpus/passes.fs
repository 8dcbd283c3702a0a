/*{"PASSES": [{"TARGET": "acc", "PERSISTENT": true, "FLOAT": true, "WIDTH": "floor($WIDTH/2)+max(1,$x)"}, {}],
 "INPUTS": [{"NAME": "x", "TYPE": "long", "VALUES": [1, 2], "LABELS": ["a", "b"]}, {"NAME": "c", "TYPE": "color", "DEFAULT": [0,0,0]}],
 "IMPORTED": {"i": {"PATH": "i.png"}}}*/
void main() { gl_FragColor = IMG_THIS_PIXEL(acc); }
