defmodule Golden.NarrowRescue.TryBlock do
  require Logger

  def load(path) do
    try do
      path
      |> File.read!()
      |> Jason.decode!()
    rescue
      error ->
        # keep going with defaults
        Logger.warning("could not load #{path}: #{Exception.message(error)}")
        %{}
    end
  end
end
