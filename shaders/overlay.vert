#version 330 core
// Every overlay primitive is a quad in target pixels (y down). The vertex
// carries the shape (segment a-b and radius, or texture coordinates), so
// the fragment shader can compute an exact anti-aliased coverage.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec4 a_shape;   // capsule: a.xy b.xy; text/image: uv
layout(location = 2) in vec2 a_param;   // radius, kind
layout(location = 3) in vec4 a_color;

uniform vec2 u_target;                  // target size in pixels

out vec2 v_pos;
out vec4 v_shape;
out float v_radius;
flat out int v_kind;
out vec4 v_color;

void main()
{
    v_pos = a_pos;
    v_shape = a_shape;
    v_radius = a_param.x;
    v_kind = int(a_param.y + 0.5);
    v_color = a_color;
    vec2 ndc = vec2(a_pos.x / u_target.x * 2.0 - 1.0,
                    1.0 - a_pos.y / u_target.y * 2.0);
    gl_Position = vec4(ndc, 0.0, 1.0);
}
