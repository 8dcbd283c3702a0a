// Flow morph, step 1 (continued): accumulate (flow * w, w) additively.
in vec4 v_value;
out vec4 o_color;

void main()
{
    o_color = v_value;
}
