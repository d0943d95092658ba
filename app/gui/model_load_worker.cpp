#include "gui/model_load_worker.h"

#include "common/error.h"

void ModelLoadWorker::load(const QString& path) {
    try {
        std::shared_ptr<const qb::Model> model = qb::loadModel(path.toStdString());
        emit loaded(model);
    } catch (const std::exception& e) {
        emit failed(QString::fromUtf8(e.what()));
    }
}
