"""Curation: operators (stats + decision), YAML recipes and the dask.distributed runner.

Python API::

    from filters.recipe import load_recipe
    from filters.runner import RunConfig, run
    report = run(RunConfig(load_recipe("recipes/demo.yaml"), Path("data/shapes"), Path("out/c")))
"""
