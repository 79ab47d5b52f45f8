#version 330 core
// A triangle mesh (render/mesh.c): positions and smooth normals in the
// mesh's own frame; u_mvp (the fitted camera or the 3D view) maps them to
// clip space.
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_normal;

uniform mat4 u_mvp;

out vec3 v_normal;

void main()
{
    v_normal = a_normal;
    gl_Position = u_mvp * vec4(a_pos, 1.0);
}
