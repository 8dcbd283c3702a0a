/*{
  "DESCRIPTION": "stripes",
  "INPUTS": [{"NAME": "level", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0, "MAX": 1}]
}*/
void main() { gl_FragColor = vec4(isf_FragNormCoord.x, level, 0.0, 1.0); }
