#include "gui/model_load_worker.h"

#include "common/error.h"
#include "quant/precision_guide.h"

#include <QElapsedTimer>

void ModelLoadWorker::load(int request, const QString& path) {
    QElapsedTimer timer;
    timer.start();
    try {
        auto out = std::make_shared<LoadedModel>();
        std::shared_ptr<const qb::Model> model = qb::loadModel(path.toStdString());
        out->model = model;
        for (const auto& p : qb::precisionGuide()) {
            if (p.name.rfind("AUTO@", 0) == 0) { // a mix's types are chosen when it is made, from measurements
                out->planErrors.emplace(p.name, "chosen when made: each tensor's type from its measured KL-divergence on the calibration text, "
                                                "within " + p.name.substr(5) + " bits per weight");
                continue;
            }
            try {
                qb::QuantizeOptions o;
                o.target = p.name;
                out->plans.emplace(p.name, qb::planVariant(*model, o));
            } catch (const std::exception& e) {
                out->planErrors.emplace(p.name, e.what());
            }
        }
        out->seconds = double(timer.elapsed()) / 1000.0;
        emit loaded(request, out);
    } catch (const std::exception& e) {
        emit failed(request, QString::fromUtf8(e.what()));
    }
}
