#version 330 core
// Lambert shading with one fixed light plus ambient, in the mesh's frame.
// abs(): a mirrored model or a glb with inward faces still lights up.
in vec3 v_normal;

uniform vec3 u_light;     // unit vector towards the light
uniform vec4 u_color;     // tint, alpha

out vec4 o_color;

void main()
{
    float lambert = abs(dot(normalize(v_normal), u_light));
    o_color = vec4(u_color.rgb * (0.35 + 0.65 * lambert), u_color.a);
}
