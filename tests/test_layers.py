"""Layers: a function imports from its layers, extracted as /opt in the order given."""
from __future__ import annotations

import io
import sys
import uuid
import zipfile

import lambdakit

READS_LAYERS = """
import os, sys
def handler(event, context):
    import shared, settings
    return {"shared": shared.WHO, "settings": settings.NAME,
            "paths": [p for p in sys.path if p.endswith(("/python", "site-packages"))][:2]}
"""


def publish_layer(lam, files, runtimes=("python3.12",)):
    name = f"layer-{uuid.uuid4().hex[:8]}"
    return lam.publish_layer_version(LayerName=name, CompatibleRuntimes=list(runtimes),
                                     Content={"ZipFile": lambdakit.zip_code(files)})["LayerVersionArn"]


def test_function_imports_modules_from_its_layers(deploy):
    lam = deploy.lam
    layer = publish_layer(lam, {
        "python/shared.py": "WHO = 'python/ of the layer'\n",
        # pip install --target python/lib/python3.12/site-packages puts libraries here
        "python/lib/python3.12/site-packages/settings.py": "NAME = 'site-packages of the layer'\n"})
    name = deploy.create(READS_LAYERS, Layers=[layer])
    body = deploy.invoke(name)["Body"]
    assert body["shared"] == "python/ of the layer"
    assert body["settings"] == "site-packages of the layer"
    # Lambda's order: /opt/python/lib/python3.X/site-packages, then /opt/python
    assert body["paths"][0].endswith("/python/lib/python3.12/site-packages")
    assert body["paths"][1].endswith("/python")
    assert lam.get_function_configuration(FunctionName=name)["Layers"][0]["Arn"] == layer


def test_a_later_layer_overwrites_an_earlier_layers_file(deploy):
    lam = deploy.lam
    first = publish_layer(lam, {"python/shared.py": "WHO = 'first'\n",
                                "python/settings.py": "NAME = 'only in first'\n"})
    second = publish_layer(lam, {"python/shared.py": "WHO = 'second'\n"})
    name = deploy.create(READS_LAYERS, Layers=[first, second])
    body = deploy.invoke(name)["Body"]
    assert (body["shared"], body["settings"]) == ("second", "only in first")
    lam.update_function_configuration(FunctionName=name, Layers=[second, first])
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    assert deploy.invoke(name)["Body"]["shared"] == "first"


def test_function_code_wins_over_a_layer_and_versions_keep_their_layers(deploy):
    lam = deploy.lam
    old = publish_layer(lam, {"python/shared.py": "WHO = 'old layer'\n",
                              "python/settings.py": "NAME = 'layer'\n"})
    name = deploy.create({"ZipFile": lambdakit.zip_code({
        "lambda_function.py": READS_LAYERS, "settings.py": "NAME = 'function package'\n"})},
        Layers=[old])
    v1 = lam.publish_version(FunctionName=name)["Version"]
    new = publish_layer(lam, {"python/shared.py": "WHO = 'new layer'\n"})
    lam.update_function_configuration(FunctionName=name, Layers=[new])
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    # /var/task comes first on sys.path: the package's settings.py, not the layer's
    assert deploy.invoke(name, Qualifier=v1)["Body"]["settings"] == "function package"
    assert deploy.invoke(name, Qualifier=v1)["Body"]["shared"] == "old layer"
    assert deploy.invoke(name)["Body"]["shared"] == "new layer"


def test_without_the_layer_the_import_fails_as_on_aws(deploy):
    name = deploy.create(READS_LAYERS)
    response = deploy.invoke(name)
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "ModuleNotFoundError"


RUNTIME_IN_A_LAYER = f"""#!{sys.executable}
import json, os, subprocess, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
    greeting = subprocess.run(["greet"], capture_output=True, text=True).stdout.strip()
    urllib.request.urlopen(urllib.request.Request(
        api + request_id + "/response", data=json.dumps(greeting).encode(), method="POST")).read()
"""


def executable_zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_custom_runtime_from_a_layer_with_its_tools_on_path(deploy):
    lam = deploy.lam
    runtime = lam.publish_layer_version(
        LayerName=f"runtime-{uuid.uuid4().hex[:8]}", CompatibleRuntimes=["provided.al2023"],
        Content={"ZipFile": executable_zip({
            "bootstrap": RUNTIME_IN_A_LAYER,                   # /opt/bootstrap
            "bin/greet": "#!/bin/sh\necho hello from /opt/bin\n"})})["LayerVersionArn"]
    name = deploy.create({"ZipFile": lambdakit.zip_code({"function.sh": "# the function's code\n"})},
                         handler="function.handler", Runtime="provided.al2023", Layers=[runtime])
    assert deploy.invoke(name)["Body"] == "hello from /opt/bin"


def test_deleting_a_layer_version_does_not_break_functions_that_use_it(deploy):
    lam = deploy.lam
    layer = publish_layer(lam, {"python/shared.py": "WHO = 'kept'\n",
                                "python/settings.py": "NAME = 'kept'\n"})
    name = deploy.create(READS_LAYERS, Layers=[layer])
    layer_name, version = layer.split(":")[-2:]
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=int(version))
    assert deploy.invoke(name)["Body"]["shared"] == "kept"
