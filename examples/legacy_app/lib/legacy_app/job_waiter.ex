defmodule LegacyApp.JobWaiter do
  @moduledoc "Runs a job and waits until telemetry says it finished."

  # :telemetry is a dependency of the real app; this example ships without deps.
  @compile {:no_warn_undefined, :telemetry}

  # telemetry-control-flow: a telemetry handler used as the reply channel.
  def run_and_wait(job_id, fun) do
    me = self()

    :telemetry.attach(
      "legacy-app-wait-#{job_id}",
      [:legacy_app, :job, :done],
      fn _event, measurements, %{job_id: id}, _config -> send(me, {:job_done, id, measurements}) end,
      nil
    )

    Task.start(fun)

    receive do
      {:job_done, ^job_id, measurements} -> {:ok, measurements}
    after
      10_000 -> {:error, :timeout}
    end
  end
end
